// ESLint plugin enforcing ARCHITECTURE.md's import rules by resolving each import to the folder it lands in.
import path from 'node:path';

/**
 * Where a file sits: 'sdk', 'main', 'main/electron', 'renderer', 'plugin:<id>', or another top-level folder.
 * `relative` is the path from the project root, with forward slashes.
 */
export function areaOf(relative) {
  const parts = relative.split('/');
  if (parts[0] === 'main' && parts[1] === 'electron') return 'main/electron';
  if (parts[0] === 'plugins' && parts.length > 2) return `plugin:${parts[1]}`;
  return parts[0] ?? '';
}

function isTestFile(relative) {
  return /\.test\.[cm]?[jt]sx?$/.test(relative);
}

/** A test, or a file of fixtures only tests load (`test-fixtures.ts`). */
function isTestSupport(relative) {
  return isTestFile(relative) || /(^|\/)test-fixtures\.[cm]?[jt]sx?$/.test(relative);
}

/** The import specifiers a node carries (static, dynamic, re-exports, require, type imports). */
function specifierOf(node) {
  const source = node.source ?? node.argument;
  if (source && source.type === 'Literal' && typeof source.value === 'string') return source;
  if (source && source.type === 'TSLiteralType' && source.literal?.type === 'Literal') return source.literal;
  return undefined;
}

/** A plugin file's side: 'host', 'panel', or undefined for files shared by both (the plugin's root). */
function sideOf(relative) {
  const parts = relative.split('/');
  return parts[0] === 'plugins' && (parts[2] === 'host' || parts[2] === 'panel') && parts.length > 3 ? parts[2] : undefined;
}

/** True when the node brings in types only (`import type`, `export type`, or every specifier marked `type`): erased at build. */
function typeOnly(node) {
  if (node.importKind === 'type' || node.exportKind === 'type') return true;
  const specifiers = node.specifiers ?? [];
  return specifiers.length > 0 && specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type');
}

/**
 * Why importing `spec` from `fromRelative` breaks a rule, or undefined when it is allowed.
 * `types` is true for an import of types only. Exported so the rule's logic can be read and
 * reused; the guard test drives the rule itself.
 */
export function violation(fromRelative, spec, root, types = false) {
  const from = areaOf(fromRelative);
  const bare = !spec.startsWith('.') && !path.isAbsolute(spec);
  if (bare) {
    if ((spec === 'electron' || spec.startsWith('electron/')) && from !== 'main/electron') {
      return `only main/electron/ may import "electron" (this file is in ${from}/)`;
    }
    return undefined;
  }
  const target = path.resolve(root, path.dirname(fromRelative), spec);
  const targetRelative = path.relative(root, target).split(path.sep).join('/');
  const outside = targetRelative.startsWith('..') || path.isAbsolute(targetRelative);
  const to = outside ? '(outside the project)' : areaOf(targetRelative);
  const shown = outside ? target : targetRelative;

  if (from === 'sdk' && to !== 'sdk') return `sdk/ imports nothing of ours, but this imports ${shown}`;
  if (from.startsWith('plugin:')) {
    const own = from.slice('plugin:'.length);
    if (to === from) {
      // The host runs in Node, the panel in the page: neither may pull in the other's code.
      // Types cross freely (the panel names the wire types the host defines); they vanish at build.
      const [side, targetSide] = [sideOf(fromRelative), sideOf(targetRelative)];
      if (!types && side && targetSide && side !== targetSide) {
        return `plugins/${own}/${side}/ may not import plugins/${own}/${targetSide}/ (only its types, with "import type"), but this imports ${shown}`;
      }
      return undefined;
    }
    if (to === 'sdk') {
      // The two public entry points (the package's `reef/sdk` and `reef/sdk/panel`); tests may
      // also use the SDK's testing helpers. Anything else in sdk/ is the host's and renderer's.
      const entry = targetRelative.replace(/\.(js|ts|tsx)$/, '');
      const allowed = entry === 'sdk/index' || entry === 'sdk/panel/types' || (entry === 'sdk/panel/index' && sideOf(fromRelative) !== 'host') || (entry === 'sdk/testing' && isTestSupport(fromRelative));
      if (allowed) return undefined;
      return `plugins/${own}/ may import the SDK only through sdk/index.js (reef/sdk)${sideOf(fromRelative) === 'host' ? '' : ' and sdk/panel/index.js (reef/sdk/panel)'}, but this imports ${shown}`;
    }
    // A plugin's own tests may start a real host around it; its code may not.
    if (isTestFile(fromRelative) && (to === 'main' || to === 'test')) return undefined;
    return `plugins/${own}/ may import only sdk/ and its own folder, but this imports ${shown}`;
  }
  if (from === 'renderer' && (to === 'main' || to === 'main/electron')) return `renderer/ never imports main/, but this imports ${shown}`;
  if ((from === 'main' || from === 'main/electron') && to === 'renderer') return `main/ never imports renderer/, but this imports ${shown}`;
  return undefined;
}

const importBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: "Enforces the import rules of ARCHITECTURE.md (sdk, plugins, renderer, main, electron)" },
    schema: [{ type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false }],
    messages: { forbidden: '{{reason}}' },
  },
  create(context) {
    const root = path.resolve(context.options[0]?.root ?? context.cwd);
    const relative = path.relative(root, context.filename).split(path.sep).join('/');
    if (relative.startsWith('..')) return {};
    const check = (node) => {
      const source = specifierOf(node);
      if (!source) return;
      const reason = violation(relative, source.value, root, typeOnly(node));
      if (reason) context.report({ node: source, messageId: 'forbidden', data: { reason } });
    };
    return {
      ImportDeclaration: check,
      ExportNamedDeclaration: check,
      ExportAllDeclaration: check,
      ImportExpression: check,
      TSImportType: check,
      CallExpression(node) {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require' && node.arguments[0]) {
          check({ source: node.arguments[0] });
        }
      },
      TSExternalModuleReference(node) {
        check({ source: node.expression });
      },
    };
  },
};

export default {
  meta: { name: 'reef', version: '0.1.0' },
  rules: { 'import-boundaries': importBoundaries },
};
