export const SCROLLER_HEIGHT = 360;
