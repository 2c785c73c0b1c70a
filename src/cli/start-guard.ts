// Imported first by the entry (main.ts): inside the single executable, refuses a planted
// NODE_OPTIONS and unpacks the addons as it loads, before the entry's other imports start anything.
import { seaStartGuard } from '../util/sea.js';

seaStartGuard();
