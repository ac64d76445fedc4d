import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The page; its script and stylesheet are served under it, and it calls the API by relative URLs. */
export const DEBUGGER_PATH = '/debugger';

/** The page loads its own script and stylesheet, nothing inline, and calls this origin only. */
export const DEBUGGER_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function isDebuggerRoute(url: string): boolean {
  return url === DEBUGGER_PATH || url.startsWith(`${DEBUGGER_PATH}/`);
}

/**
 * The live debugger: a static page over `GET /ingest/stream`. Its files sit beside this one, in src/ and in dist/
 * (nest-cli.json copies them), and are read once. Open like /docs: what it shows needs a key the page asks for.
 */
@ApiExcludeController()
@Controller(DEBUGGER_PATH.slice(1))
export class DebuggerController {
  private readonly html = pageFile('debugger.html');
  private readonly script = pageFile('debugger.js');
  private readonly stylesheet = pageFile('debugger.css');

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', DEBUGGER_CONTENT_SECURITY_POLICY)
  page(): string {
    return this.html;
  }

  @Get('debugger.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('content-security-policy', DEBUGGER_CONTENT_SECURITY_POLICY)
  pageScript(): string {
    return this.script;
  }

  @Get('debugger.css')
  @Header('content-type', 'text/css; charset=utf-8')
  @Header('content-security-policy', DEBUGGER_CONTENT_SECURITY_POLICY)
  pageStylesheet(): string {
    return this.stylesheet;
  }
}

function pageFile(name: string): string {
  return readFileSync(join(__dirname, name), 'utf8');
}
