/** The name this backend registers under: `tf.setBackend('native')`. */
export const BACKEND_NAME = 'native';
