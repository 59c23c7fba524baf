/** The browser tests' Chromium: the same finder as the console benchmark (fails when there is none). */
export { chromiumPath, launchChromium } from '../../services/tools/bench/chromium.ts';
