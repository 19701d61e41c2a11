/** A schema validation problem as zod reports it (only what the message needs, so util stays free of zod). */
export interface SchemaIssue {
  path: readonly PropertyKey[];
  message: string;
}

/**
 * Validation problems as one line, each `field.path: message` (`(root)` for the whole value),
 * joined by '; '; `at` prefixes every path (the issues of a nested value).
 */
export function describeIssues(issues: readonly SchemaIssue[], at: readonly PropertyKey[] = []): string {
  return issues.map((i) => `${[...at, ...i.path].map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}
