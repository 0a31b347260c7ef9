/** The recorded nvidia-smi outputs in test/fixtures/nvidia-smi (copied from ../shared; see PROVENANCE.md there). */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'nvidia-smi');

/** Every fixture file (PROVENANCE.md and dotfiles aside). */
export const fixtureNames = (): string[] => readdirSync(FIXTURES_DIR).filter((f) => !f.startsWith('.') && f !== 'PROVENANCE.md').sort();

export const fixture = (name: string): string => readFileSync(path.join(FIXTURES_DIR, name), 'utf8');
export const fixturePath = (name: string): string => path.join(FIXTURES_DIR, name);
