import type { Rule } from 'eslint';

export declare const ALLOWED_IMPORTS: Record<string, string[]>;
export declare const layersRule: Rule.RuleModule;
