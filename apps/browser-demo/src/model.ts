/**
 * A model for a weight file, whatever its widths: this package's `.safetensors` say which model they hold; a
 * PyTorch state dict in torchvision's `alexnet` layout (`features.0` ... `classifier.6`) is read for its widths, so
 * torchvision's `alexnet-owt-7be5be79.pth` and the small test checkpoints load the same way.
 */
import { toStateDict } from '@alexnet/layers';
import {
  ALEXNET_TORCHVISION,
  AlexNet,
  type AlexNetArchitecture,
  modelFromWeights,
  type WeightsFile,
} from '@alexnet/models';

const CONVS = [0, 3, 6, 8, 10];
const HIDDEN = [1, 4];
const LAST = 'classifier.6.weight';

/** torchvision's architecture with the widths of the file's tensors, and its number of classes. */
export function torchvisionArchitecture(file: WeightsFile): { architecture: AlexNetArchitecture; classes: number } {
  const width = (key: string) => {
    const tensor = file.tensors[key];
    if (!tensor) {
      throw new Error(
        `this file has no ${key}: it is not torchvision's alexnet layout (keys: ${Object.keys(file.tensors).slice(0, 6).join(', ')}, ...)`,
      );
    }
    return tensor.shape[0];
  };
  const architecture: AlexNetArchitecture = {
    ...ALEXNET_TORCHVISION,
    convs: ALEXNET_TORCHVISION.convs.map((stage, i) => ({ ...stage, out: width(`features.${CONVS[i]}.weight`) })),
    hidden: HIDDEN.map((i) => width(`classifier.${i}.weight`)),
  };
  return { architecture, classes: width(LAST) };
}

/** The model for a weight file already read, weights loaded, in eval mode. */
export function modelFor(file: WeightsFile): AlexNet {
  if (file.metadata.model) return modelFromWeights(file).eval();
  const { architecture, classes } = torchvisionArchitecture(file);
  const model = new AlexNet(architecture, { numClasses: classes, lrn: 'none', seed: 0 });
  const dict = toStateDict(file.tensors);
  try {
    model.loadStateDict(dict);
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    for (const tensor of Object.values(dict)) tensor.dispose();
  }
  return model.eval();
}
