// Starts GraphiQL from the JSON block the page embeds. It is an external file because the
// page's Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("quire-graphiql-config").textContent);

  // Radix UI, bundled in GraphiQL, tags the <style> elements it adds for dialogs and menus
  // with this global; the page's CSP allows styles carrying the response's nonce.
  window.__webpack_nonce__ = config.styleNonce;

  var props = {
    fetcher: GraphiQL.createFetcher({ url: config.endpoint }),
    plugins: [GraphiQLPluginExplorer.explorerPlugin()],
    defaultTabs: config.tabs,
    // Reopening the page comes back to the welcome tab instead of adding an empty one.
    query: config.tabs[0].query,
    defaultQuery: config.newTabQuery,
    defaultHeaders: "{}",
    // The headers pane is open on the first screen so editors see where their token goes;
    // headers are never saved in the browser's storage.
    defaultEditorToolsVisibility: "headers",
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
    inputValueDeprecation: true,
  };

  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, props, React.createElement(GraphiQL.Logo, null, "Quire"))
  );
})();
