/** The app's identity, shared by the runtime (Windows notifications need the AppUserModelID) and electron-builder.yml. */
export const APP_ID = 'io.reef.desktop';
export const PRODUCT_NAME = 'Reef';
