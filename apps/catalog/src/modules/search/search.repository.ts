// Full-text search and name suggestions over products. Plain rows out; takes a Db or a
// transaction. The queries are built by exported functions, unexecuted, so the EXPLAIN test
// plans exactly the SQL the API runs.
import { type SQL, sql } from 'drizzle-orm';
import type { CatalogDb } from '../../db/client.ts';
import { products } from '../../db/schema/index.ts';

// The listing's visibility rule, as the same literal SQL products.repository.ts uses (see the
// comment there): search and suggestions show exactly what the list shows, never drafts.
const listed = sql`${products.deletedAt} IS NULL AND ${products.status} = 'active'`;

// The configuration must be the one the generated `search` column was built with ('english'),
// or the query's lexemes would not match the stored ones. Written as a literal regconfig with
// the text as a parameter: the call is immutable, so Postgres folds it to a constant tsquery
// while planning, which is what lets `search @@ <constant>` use products_search_idx.
const tsquery = (q: string) => sql`websearch_to_tsquery('english'::regconfig, ${q})`;

/** Where a search page starts: the rank (float4 as Postgres prints it) and id of the last row. */
export interface SearchKeyset {
  rank: string;
  id: string;
}

export interface SearchPageOptions {
  q: string;
  /** Rows to fetch: the page size plus one, to learn whether another page follows. */
  limit: number;
  after?: SearchKeyset;
}

export type SearchRow = {
  id: string;
  sku: string;
  name: string;
  priceMinor: number;
  currency: string;
  /** ts_rank_cd as Postgres prints a float4: exact, so it can go into a cursor and back. */
  rankKey: string;
  headline: string;
};

// Matched words are marked with ** in plain text: ts_headline does not escape the document,
// so HTML markers would make every description a place to inject markup into a client.
const HEADLINE_OPTIONS = 'StartSel=**, StopSel=**, MinWords=10, MaxWords=30, MaxFragments=1';

/**
 * How many matches one search ranks at most: the first RANK_WINDOW the index hands over (in
 * table order), never more. Ranking needs every candidate's row, so without a bound a common
 * word costs a visit to each of its matches: 67,864 rows and ~330 ms for `laptop` at
 * 1,000,000 products (bench/RESULTS.md). With the window a search costs at most this many
 * row visits whatever the word. A query matching up to RANK_WINDOW products is ranked
 * exactly; one matching more is ranked within the window, and its pages end with it — the
 * trade Elasticsearch's `terminate_after` and GitHub's 1,000-result cap make. See
 * docs/indexing.md#a-bounded-ranking-window.
 */
export const RANK_WINDOW = 1_000;

/**
 * One page of matches, best first (rank DESC, then id ASC to make the order total).
 *
 * Ranking needs every candidate's rank before the first row can be returned, so no index
 * gives this order: the GIN index finds the matches, the window (RANK_WINDOW) bounds how many
 * are ranked, and a top-N sort orders them. The cursor's condition is a filter on the ranked
 * window, not an index range — keyset here does not save work over OFFSET; it keeps pages
 * from shifting when rows change between requests.
 *
 * Queries whose indexable part is empty — only stop words or punctuation (querytree '') or
 * only exclusions such as `-cable` (querytree 'T') — match nothing. An all-negative query
 * would match nearly every row and cannot use the index; refusing it keeps every search on
 * products_search_idx. The condition is constant, so Postgres decides it while planning.
 *
 * ts_headline re-parses each document, so it runs in the outer query on the page's rows only,
 * after the LIMIT, never on every match.
 */
export function searchPageQuery(opts: SearchPageOptions): SQL {
  const query = tsquery(opts.q);
  const where: SQL[] = [
    listed,
    sql`querytree(${query}) NOT IN ('', 'T')`,
    sql`${products.search} @@ ${query}`,
  ];
  // The window: no ORDER BY, so the scan stops after RANK_WINDOW matches instead of visiting
  // them all. Which matches those are follows the table's physical order; findSearchPage
  // keeps the plan serial so that order, and so every page's window, is the same.
  const cursor = opts.after
    ? // Mixed directions (rank DESC, id ASC) cannot be one row comparison; nothing indexes
      // the rank anyway. Same expression on the same row gives the same float4: `=` is exact.
      sql`WHERE (matches.rank < ${opts.after.rank}::real
              OR (matches.rank = ${opts.after.rank}::real AND matches.id > ${opts.after.id}::uuid))`
    : sql``;
  return sql`
    SELECT page.id, page.sku, page.name, page.price_minor AS "priceMinor", page.currency,
           page.rank::text AS "rankKey",
           ts_headline('english'::regconfig, coalesce(page.description, page.name), ${query},
                       ${HEADLINE_OPTIONS}) AS headline
      FROM (
        SELECT matches.* FROM (
          SELECT ${products.id}, ${products.sku}, ${products.name}, ${products.description},
                 ${products.priceMinor}, ${products.currency},
                 ts_rank_cd(${products.search}, ${query}) AS rank
            FROM ${products}
           WHERE ${sql.join(where, sql` AND `)}
           LIMIT ${RANK_WINDOW}
        ) matches
        ${cursor}
         ORDER BY matches.rank DESC, matches.id ASC
         LIMIT ${opts.limit}
      ) page
     ORDER BY page.rank DESC, page.id ASC`;
}

export async function findSearchPage(db: CatalogDb, opts: SearchPageOptions): Promise<SearchRow[]> {
  // Serial for this transaction only (SET LOCAL semantics): parallel workers would return
  // the window's matches in an order that differs run to run, so page 2 could rank another
  // window than page 1 did. The pooled connection goes back with the server's setting.
  return db.transaction(async (tx) => {
    await tx.execute(sql`SELECT set_config('max_parallel_workers_per_gather', '0', true)`);
    const { rows } = await tx.execute<SearchRow>(searchPageQuery(opts));
    return rows as SearchRow[];
  });
}

/**
 * The least word_similarity a fuzzy suggestion needs. pg_trgm's default, 0.6, refuses a
 * transposition in a short word: "lapotp" shares 3 of its 7 trigrams with "Laptop" (0.43).
 * 0.4 lets one typo through in words of five letters or more and still drops unrelated names.
 */
export const WORD_SIMILARITY_THRESHOLD = 0.4;

/** `%`, `_` and `\` typed by a user are characters to match, not LIKE wildcards. */
const likePrefix = (prefix: string) => `${prefix.replace(/[\\%_]/g, '\\$&')}%`;

export interface SuggestOptions {
  prefix: string;
  limit: number;
}

export type SuggestRow = {
  id: string;
  name: string;
};

/**
 * Names that start with the prefix first, then names with a word close to it (typos), each
 * group by word_similarity. Both conditions are answered by products_name_trgm_idx (a
 * BitmapOr of two scans on it): ILIKE 'lap%' through the pattern's trigrams, `<%` through the
 * prefix's. `<%` is word_similarity(prefix, name) >= pg_trgm.word_similarity_threshold; the
 * threshold is a setting, not an argument, because only the operator form can use the index.
 */
export function suggestQuery(opts: SuggestOptions): SQL {
  const startsWith = sql`${products.name} ILIKE ${likePrefix(opts.prefix)} ESCAPE '\\'`;
  return sql`
    SELECT ${products.id}, ${products.name}
      FROM ${products}
     WHERE ${listed} AND (${startsWith} OR ${opts.prefix} <% ${products.name})
     ORDER BY (${startsWith}) DESC, word_similarity(${opts.prefix}, ${products.name}) DESC,
              ${products.name}, ${products.id}
     LIMIT ${opts.limit}`;
}

export async function findSuggestions(db: CatalogDb, opts: SuggestOptions): Promise<SuggestRow[]> {
  // SET LOCAL semantics (set_config(..., true)): the threshold lasts for this transaction
  // only, so the pooled connection goes back with pg_trgm's default.
  return db.transaction(async (tx) => {
    await tx.execute(
      sql`SELECT set_config('pg_trgm.word_similarity_threshold', ${String(WORD_SIMILARITY_THRESHOLD)}, true)`,
    );
    const { rows } = await tx.execute<SuggestRow>(suggestQuery(opts));
    return rows as SuggestRow[];
  });
}
