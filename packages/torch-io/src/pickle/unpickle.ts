import { PickleMachine } from './machine.js';
import { OPCODES_BY_BYTE } from './opcodes.js';
import type { UnpickleHooks } from './values.js';

/**
 * Reads one Python pickle (protocols 0 to 5, the opcodes `torch.save` and ordinary state dicts use) from `bytes`
 * starting at `offset`, and returns the value and the offset after its STOP opcode.
 *
 * Values are plain JavaScript: dicts become `Map`s (keys may be ints), lists and tuples arrays, sets `Set`s, bytes
 * `Uint8Array`s, big integers `bigint`s. The classes and functions a pickle names are resolved only through
 * `hooks.findClass` and a short allow-list of built-in containers; anything else becomes an inert
 * {@link PickleGlobal} (called, a {@link PickleObject}), so nothing in the file can run code.
 *
 * @param source - names the input in errors (`weights.pth: Invalid pickle at byte 12: unexpected end of data`).
 * @throws Error naming the byte, for truncated input, an unsupported opcode, or a malformed one.
 */
export function unpickle(
  bytes: Uint8Array,
  hooks: UnpickleHooks = {},
  offset = 0,
  source?: string,
): { value: unknown; end: number } {
  const machine = new PickleMachine(bytes, hooks, offset, source);
  while (!machine.result) {
    const code = machine.u8();
    const opcode = OPCODES_BY_BYTE[code];
    if (opcode) opcode.run(machine);
    else {
      machine.pos--;
      machine.fail(`unsupported opcode 0x${code.toString(16).padStart(2, '0')}`);
    }
  }
  return { value: machine.result.value, end: machine.pos };
}
