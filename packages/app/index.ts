// Platform polyfills first: core and its crypto libraries read the globals when they load.
import './src/platform/polyfills';
import { registerRootComponent } from 'expo';
import { App } from './src/App';

registerRootComponent(App);
