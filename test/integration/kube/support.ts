export { waitFor } from '../../support/wait.js';
