import { describe, expect, it } from 'vitest';
import { Conv2d, Flatten, Linear, MaxPool2d, RandomGenerator, ReLU, Sequential, summary } from './index.js';

describe('summary', () => {
  it('lists leaf layers with output shapes, parameters and multiply-adds, without running the model', () => {
    const rng = new RandomGenerator(1);
    const net = new Sequential({
      features: new Sequential([
        new Conv2d({ inChannels: 3, outChannels: 8, kernelSize: 3, stride: 2, padding: 1, rng }),
        new ReLU(),
        new MaxPool2d({ kernelSize: 2 }),
      ]),
      flatten: new Flatten(),
      head: new Linear({ inFeatures: 8 * 4 * 4, outFeatures: 10, rng }),
    });
    const table = summary(net, [1, 16, 16, 3], { title: 'tiny' });
    expect(table.inputShape).toEqual([-1, 16, 16, 3]);
    expect(table.rows).toEqual([
      { name: 'features.0', type: 'Conv2d', outputShape: [-1, 8, 8, 8], parameters: 224, multiplyAdds: 8 * 8 * 8 * 27 },
      { name: 'features.1', type: 'ReLU', outputShape: [-1, 8, 8, 8], parameters: 0, multiplyAdds: 0 },
      { name: 'features.2', type: 'MaxPool2d', outputShape: [-1, 4, 4, 8], parameters: 0, multiplyAdds: 0 },
      { name: 'flatten', type: 'Flatten', outputShape: [-1, 128], parameters: 0, multiplyAdds: 0 },
      { name: 'head', type: 'Linear', outputShape: [-1, 10], parameters: 1290, multiplyAdds: 1280 },
    ]);
    expect(table.totalParameters).toBe(1514);
    expect(table.totalMultiplyAdds).toBe(13824 + 1280);
    const text = table.toString();
    expect(text).toMatch(/^tiny \(input NHWC \[-1, 16, 16, 3\]\)/);
    expect(text).toMatch(/features\.0\s+Conv2d\s+\[-1, 8, 8, 8\]\s+224\s+13,824/);
    expect(text).toMatch(/Total parameters: 1,514/);
    expect(() => summary(net, [2, 2, 3])).toThrow(/too small/);
    net.dispose();
  });
});
