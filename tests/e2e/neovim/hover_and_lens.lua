-- Drive derivlens with Neovim's built-in LSP client (0.7.2 API), headless.
--
-- nvim --headless -u NONE -i NONE -c "luafile tests/e2e/neovim/hover_and_lens.lua"
-- Environment: DERIVLENS_NVIM_FILE (the Python file to open), DERIVLENS_NVIM_OUT (where
-- to write the JSON report), DERIVLENS_NVIM_PYTHON (the interpreter), DERIVLENS_NVIM_LINE
-- (0-based line of the `def` to hover and run the lens of).
-- It writes what a user would see or get: the hover markdown, the lines of the hover
-- float, the code lenses, and the result of running the lens's command.

local file = assert(os.getenv('DERIVLENS_NVIM_FILE'), 'DERIVLENS_NVIM_FILE')
local out = assert(os.getenv('DERIVLENS_NVIM_OUT'), 'DERIVLENS_NVIM_OUT')
local python = os.getenv('DERIVLENS_NVIM_PYTHON') or 'python3'
local def_line = tonumber(os.getenv('DERIVLENS_NVIM_LINE') or '0')
local TIMEOUT = 60000

local report = { nvim = tostring(vim.version().major) .. '.' .. vim.version().minor .. '.' .. vim.version().patch }

local function finish(ok)
  -- vim.json keeps 14 significant digits (vim.fn.json_encode only 6)
  vim.fn.writefile({ vim.json.encode(report) }, out)
  vim.cmd(ok and 'qall!' or 'cquit! 1')
end

local function main()
  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  local initialized = false
  local command_results = {}

  -- The default handler of window/showMessageRequest waits for a keypress.
  local handlers = {
    ['window/showMessageRequest'] = function() return vim.NIL end,
  }
  -- codelens.run() hands the command's result to this global handler.
  vim.lsp.handlers['workspace/executeCommand'] = function(err, result)
    table.insert(command_results, { err = err, result = result })
  end

  local client_id = vim.lsp.start_client({
    name = 'derivlens',
    cmd = { python, '-m', 'derivlens', 'serve' },
    root_dir = vim.fn.fnamemodify(file, ':h'),
    -- 0.7.2 does not advertise workspace/configuration: settings come from here.
    init_options = { derivlens = { domain = { -1, 1 } } },
    handlers = handlers,
    on_init = function() initialized = true end,
  })
  assert(client_id, 'start_client failed')
  assert(vim.wait(TIMEOUT, function() return initialized end, 20), 'the server never initialised')
  vim.lsp.buf_attach_client(bufnr, client_id)
  local client = vim.lsp.get_client_by_id(client_id)
  report.commands = (client.server_capabilities.executeCommandProvider or {}).commands

  -- 1. A hover on the def line: the raw markdown, as the client receives it.
  local uri = vim.uri_from_bufnr(bufnr)
  local params = { textDocument = { uri = uri }, position = { line = def_line, character = 4 } }
  local response, err = client.request_sync('textDocument/hover', params, TIMEOUT, bufnr)
  assert(response, 'hover: ' .. tostring(err))
  assert(not response.err, 'hover error: ' .. vim.inspect(response.err))
  report.hover = response.result and response.result.contents.value or vim.NIL

  -- ... and what vim.lsp.buf.hover() puts in its floating window.
  vim.api.nvim_win_set_cursor(0, { def_line + 1, 4 })
  local before = vim.api.nvim_list_wins()
  vim.lsp.buf.hover()
  local float
  vim.wait(TIMEOUT, function()
    for _, win in ipairs(vim.api.nvim_list_wins()) do
      if not vim.tbl_contains(before, win) and vim.api.nvim_win_get_config(win).relative ~= '' then
        float = win
        return true
      end
    end
    return false
  end, 20)
  assert(float, 'no hover float appeared')
  report.float_lines = vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(float), 0, -1, false)
  vim.api.nvim_win_close(float, true)

  -- A hover on the function's body line.
  params.position = { line = def_line + 1, character = 4 }
  response = client.request_sync('textDocument/hover', params, TIMEOUT, bufnr)
  report.body_hover = response and response.result or vim.NIL

  -- 2. Code lenses, fetched the way :lua vim.lsp.codelens.refresh() does, then run.
  vim.lsp.codelens.refresh()
  assert(vim.wait(TIMEOUT, function() return #vim.lsp.codelens.get(bufnr) > 0 end, 20), 'no lenses')
  report.lenses = vim.lsp.codelens.get(bufnr)
  vim.api.nvim_win_set_cursor(0, { def_line + 1, 0 })
  vim.lsp.codelens.run()
  assert(vim.wait(TIMEOUT, function() return #command_results > 0 end, 20), 'the lens never returned')
  local got = command_results[1]
  report.command_error = got.err or vim.NIL
  if got.result then
    local r = got.result
    report.command = {
      ['function'] = r['function'], domain = r.domain, order = r.order, method = r.method,
      x = r.x, f = r.f, derivatives = r.derivatives, image_format = r.image and r.image.format,
    }
  end

  vim.lsp.stop_client(client_id)
  vim.wait(5000, function() return vim.lsp.get_client_by_id(client_id) == nil end, 20)
end

local ok, message = pcall(main)
if not ok then report.failure = tostring(message) end
finish(ok)
