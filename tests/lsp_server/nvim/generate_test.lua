-- Headless Neovim (0.7+) as a real LSP client of the TestTailor server.
--
-- nvim --headless -u NONE -c "luafile generate_test.lua" with, in the environment:
--   TT_PYTHON   the Python that runs `-m lsp_server`     TT_REPO  the git repository (root_dir)
--   TT_FILE     the Java file to open                    TT_LINE, TT_CHARACTER  0-based position in a method
--   TT_RESULT   a file this script writes: "ok <title>" or "error <why>"
-- Opens the file, asks for code actions at the position, resolves "Generate unit test", applies the edit with
-- vim.lsp.util.apply_workspace_edit(edit, "utf-16"), writes all buffers (:wall) and quits.

local timeout_ms = tonumber(os.getenv("TT_TIMEOUT_MS") or "240000")
local result_file = assert(os.getenv("TT_RESULT"), "TT_RESULT is not set")

local function finish(text, code)
  local f = assert(io.open(result_file, "w"))
  f:write(text)
  f:close()
  vim.cmd(code == 0 and "qall!" or ("cquit " .. code))
end

local function run()
  vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("TT_FILE")))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = "java"
  local client_id = vim.lsp.start_client({
    name = "testtailor",
    cmd = { os.getenv("TT_PYTHON"), "-m", "lsp_server" },
    root_dir = os.getenv("TT_REPO"),
    init_options = { testtailor = { candidates = 2 } },
  })
  assert(client_id, "vim.lsp.start_client failed")
  vim.lsp.buf_attach_client(bufnr, client_id)
  local client = vim.lsp.get_client_by_id(client_id)
  assert(vim.wait(60000, function() return client.initialized end, 50), "the server did not initialize")

  local position = { line = tonumber(os.getenv("TT_LINE")), character = tonumber(os.getenv("TT_CHARACTER")) }
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = position, ["end"] = position },
    context = { diagnostics = {} },
  }
  local response, err = client.request_sync("textDocument/codeAction", params, 30000, bufnr)
  assert(response and not response.err, "codeAction failed: " .. vim.inspect(err or (response and response.err)))
  local action
  for _, candidate in ipairs(response.result or {}) do
    if candidate.kind == "refactor.generateTest" then action = candidate end
  end
  assert(action, "no Generate unit test action: " .. vim.inspect(response.result))

  local resolved, rerr = client.request_sync("codeAction/resolve", action, timeout_ms, bufnr)
  assert(resolved and not resolved.err, "codeAction/resolve failed: " .. vim.inspect(rerr or (resolved and resolved.err)))
  local edit = resolved.result.edit
  assert(edit, "the resolved action has no edit: " .. vim.inspect(resolved.result))
  vim.lsp.util.apply_workspace_edit(edit, "utf-16")
  vim.cmd("silent wall")
  return action.title
end

local ok, value = pcall(run)
if ok then
  finish("ok " .. value, 0)
else
  finish("error " .. tostring(value), 3)
end
