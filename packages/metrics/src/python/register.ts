import { registerLanguage } from '../language.js';
import { python } from './index.js';

registerLanguage(python);
