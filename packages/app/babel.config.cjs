// Expo's Babel preset, for Metro and for jest-expo alike.
module.exports = function config(api) {
  api.cache(true);
  return { presets: ['babel-preset-expo'] };
};
