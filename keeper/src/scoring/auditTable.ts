/** How a DefiLlama `audits` category becomes an audit score (0-100); pure. */

/**
 * DefiLlama `audits` category → audit score 0-100 (see scoring's audit bands).
 * Defaults: audited 80 (risk 25; DefiLlama's "yes" says nothing of how many audits or by whom,
 * so 90+ is left to an operator's curated score), partly unaudited 60 (risk 60), fork of an
 * audited protocol 60 (risk 60: the fork's own changes are unaudited), none 0 (risk 95).
 */
export interface AuditScoreByCategory {
  /** "0": no audit. */
  readonly none: number;
  /** "1": part of this protocol may be unaudited. */
  readonly partial: number;
  /** "2": audited. */
  readonly audited: number;
  /** "3": a fork of an existing audited protocol; never above `audited`. */
  readonly fork: number;
}

export const DEFAULT_AUDIT_SCORE_BY_CATEGORY: AuditScoreByCategory = { none: 0, partial: 60, audited: 80, fork: 60 };

/** Throws when a table breaks the legend's order (a fork must not score above an audited protocol). */
export function validateAuditScoreByCategory(table: AuditScoreByCategory): void {
  for (const [key, value] of Object.entries(table)) {
    if (!(value >= 0 && value <= 100)) throw new Error(`auditScoreByCategory.${key} must be 0-100, got ${String(value)}`);
  }
  if (table.fork > table.audited) {
    throw new Error(`auditScoreByCategory.fork (${table.fork}) must not exceed audited (${table.audited}): a fork is never better than an audited protocol`);
  }
  if (table.partial > table.audited) {
    throw new Error(`auditScoreByCategory.partial (${table.partial}) must not exceed audited (${table.audited})`);
  }
  if (table.none > Math.min(table.partial, table.fork)) {
    throw new Error(`auditScoreByCategory.none (${table.none}) must not exceed partial or fork`);
  }
}
