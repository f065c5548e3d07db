// ESLint 9 flat config with typescript-eslint.
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import tseslint from "typescript-eslint";

export default defineConfig(
  globalIgnores(["out/", "node_modules/", "*.vsix"]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      eqeqeq: ["error", "always"],
      curly: "error",
    },
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
  },
  {
    files: ["**/*.mjs"],
    languageOptions: {
      globals: { process: "readonly", console: "readonly", setTimeout: "readonly", URL: "readonly", document: "readonly" },
    },
  },
  {
    files: ["e2e/fake-server/*.js"],
    languageOptions: {
      sourceType: "commonjs",
      globals: { require: "readonly", process: "readonly", console: "readonly", setTimeout: "readonly" },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // Pure-logic modules must stay free of the `vscode` API so `node --test` can load them.
    files: ["src/adapters.ts", "src/candidates.ts", "src/format.ts", "src/interpreter.ts", "src/protocol.ts", "src/settings.ts", "src/status.ts", "test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-floating-promises": "off", // node:test's test() returns a promise by design
      "no-restricted-imports": ["error", { paths: [{ name: "vscode", message: "Keep pure logic vscode-free (unit-tested with node --test)." }], patterns: ["vscode-languageclient*"] }],
    },
  },
);
