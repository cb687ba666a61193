/**
 * productpage's static files, served from memory under `/static/` (the compiled app has no asset
 * directory to read from): one small stylesheet.
 */

/** The stylesheet at `/static/bookinfo.css`. */
export const BOOKINFO_CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1f2937; background: #fff; }
.navbar { display: flex; justify-content: space-between; align-items: center; background: #1f2937; color: #f9fafb; padding: 0.75rem 1.5rem; }
.navbar a { color: #f9fafb; text-decoration: none; }
.brand { font-size: 1.25rem; font-weight: 600; }
.navbar form { display: flex; gap: 0.5rem; margin: 0; }
.navbar input { padding: 0.25rem 0.5rem; border-radius: 4px; border: 1px solid #9ca3af; }
.navbar button { background: #2563eb; color: #fff; border: 0; border-radius: 4px; padding: 0.3rem 0.8rem; cursor: pointer; }
.container { max-width: 60rem; margin: 0 auto; padding: 1.5rem; }
h1.title { color: #1e3a8a; font-size: 2.5rem; margin: 0.5rem 0 1rem; }
.description { font-size: 1.1rem; line-height: 1.6; color: #4b5563; }
section { margin-top: 2rem; }
table.details { border-collapse: collapse; }
table.details th, table.details td { text-align: left; padding: 0.4rem 1rem 0.4rem 0; border-bottom: 1px solid #e5e7eb; }
.reviews { background: #eff6ff; padding: 1rem 1.5rem; border-radius: 8px; }
.review { margin: 1rem 0 1.5rem; }
.review blockquote { margin: 0.5rem 0; font-size: 1.15rem; font-weight: 600; }
.reviewer { color: #374151; }
.served-by { font-family: ui-monospace, monospace; color: #4b5563; font-size: 0.9rem; }
.error { color: #dc2626; font-size: 1.25rem; }
.rating-error { color: #dc2626; }
.glyphicon-star::before { content: "\\2605"; }
.glyphicon-star-empty::before { content: "\\2606"; }
.glyphicon { font-size: 1.25rem; margin-right: 0.1rem; }
[data-star-color="black"] { color: #111827; }
[data-star-color="red"] { color: #dc2626; }
`.trimStart();

/** Static files by path under `/static/`. */
export const STATIC_FILES: ReadonlyMap<string, { readonly contentType: string; readonly body: string }> = new Map([
  ['bookinfo.css', { contentType: 'text/css; charset=utf-8', body: BOOKINFO_CSS }],
]);
