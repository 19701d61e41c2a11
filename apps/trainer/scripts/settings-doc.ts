// Writes the `codistill train` settings table into packages/train/README.md between its markers;
// a test fails when the README's copy differs from the schema. Run: npx tsx apps/trainer/scripts/settings-doc.ts
import fs from 'node:fs';
import { README, replaceTable, trainSettingsTable } from '../src/commands/train.js';

fs.writeFileSync(README, replaceTable(fs.readFileSync(README, 'utf8'), trainSettingsTable()));
console.log(`wrote the settings table into ${README}`);
