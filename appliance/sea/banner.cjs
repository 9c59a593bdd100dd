// rosterbox single-file binary (appliance/build.mjs). The sources are ES modules; this
// bundle is CommonJS, so `import.meta` is rebuilt here from the file the code runs from.
var __rb_import_meta = {
  url: require("node:url").pathToFileURL(__filename).href,
  filename: __filename,
  dirname: __dirname,
  main: false,
  resolve: (s) => s,
};
