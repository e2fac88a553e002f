// Registers Hush's service worker (sw.js) once the page has loaded, so the app starts without the
// network next time and push messages reach it while no tab is open.
/* global window */
if ('serviceWorker' in navigator) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => undefined);
  });
}
