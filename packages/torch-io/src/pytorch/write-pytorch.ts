import { contiguousStrides } from '../elements.js';
import { PickleWriter } from '../pickle/pickle-writer.js';
import type { RawTensors } from '../raw-tensor.js';
import { writeStoredZip } from '../zip/write-zip.js';

/**
 * Writes a state dict in PyTorch's zip checkpoint format (what `torch.save(state_dict, f)` writes since 1.6), so
 * `torch.load` returns an `OrderedDict` of tensors: a stored (uncompressed) zip holding `archive/data.pkl` (a
 * protocol-2 pickle that rebuilds each tensor from a storage), one `archive/data/<n>` file per tensor, and
 * `archive/version` / `archive/byteorder`. float32 tensors become `FloatStorage`, int32 ones `IntStorage`.
 */
export function writePyTorch(tensors: RawTensors): Uint8Array {
  const pickle = new PickleWriter();
  pickle.proto(2);
  pickle.global('collections', 'OrderedDict');
  pickle.emptyTuple();
  pickle.reduce();
  pickle.mark();
  const storages: Uint8Array[] = [];
  for (const [name, tensor] of Object.entries(tensors)) {
    pickle.string(name);
    pickle.global('torch._utils', '_rebuild_tensor_v2');
    pickle.mark();
    // Persistent id of the storage: ('storage', torch.FloatStorage, key, 'cpu', numel).
    pickle.mark();
    pickle.string('storage');
    pickle.global('torch', tensor.dtype === 'int32' ? 'IntStorage' : 'FloatStorage');
    pickle.string(String(storages.length));
    pickle.string('cpu');
    pickle.int(tensor.data.length);
    pickle.tuple();
    pickle.persistentId();
    pickle.int(0);
    pickle.intTuple(tensor.shape);
    pickle.intTuple(contiguousStrides(tensor.shape));
    pickle.bool(false);
    pickle.global('collections', 'OrderedDict');
    pickle.emptyTuple();
    pickle.reduce();
    pickle.tuple();
    pickle.reduce();
    storages.push(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
  }
  pickle.setItems();
  pickle.stop();
  const entries: Array<[string, Uint8Array]> = [
    ['archive/data.pkl', pickle.bytes()],
    ['archive/byteorder', new TextEncoder().encode('little')],
    ...storages.map((data, i): [string, Uint8Array] => [`archive/data/${i}`, data]),
    ['archive/version', new TextEncoder().encode('3\n')],
  ];
  return writeStoredZip(entries);
}
