import { defineConfig } from 'vitepress';

export default defineConfig({
  title: 'AlexNet for TypeScript',
  description: 'AlexNet V1, V2 and torchvision’s variant on TensorFlow.js: models, data, trainer, CLI.',
  cleanUrls: false,
  // Built into apps/docs/dist (the turbo task's output).
  outDir: '../dist',
  // The API pages are generated from TSDoc; a dead link there is a bug to see, not to hide.
  ignoreDeadLinks: false,
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/getting-started' },
      { text: 'Models', link: '/models/' },
      { text: 'CLI', link: '/cli' },
      { text: 'API', link: '/api/' },
    ],
    sidebar: [
      {
        text: 'Guide',
        items: [
          { text: 'Getting started', link: '/getting-started' },
          { text: 'Training on a GPU', link: '/gpu' },
          { text: 'Training on the CPU', link: '/cpu' },
          { text: 'Preparing ImageNet', link: '/imagenet' },
          { text: 'Training recipes', link: '/recipes' },
          { text: 'Weights from PyTorch', link: '/weights' },
          { text: 'In the browser', link: '/browser' },
          { text: 'Performance', link: '/performance' },
        ],
      },
      {
        text: 'Model zoo',
        items: [
          { text: 'Overview', link: '/models/' },
          { text: 'V1, V2 and torchvision', link: '/architectures' },
          { text: 'alexnet_v1', link: '/models/alexnet_v1' },
          { text: 'alexnet_v2', link: '/models/alexnet_v2' },
          { text: 'alexnet_torchvision', link: '/models/alexnet_torchvision' },
        ],
      },
      {
        text: 'Reference',
        items: [
          { text: 'CLI', link: '/cli' },
          { text: 'API', link: '/api/' },
        ],
      },
    ],
    search: { provider: 'local' },
  },
});
