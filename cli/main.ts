#!/usr/bin/env node
// The `cumulo` command: one sub-command per file.
import { Command } from 'commander';
import { simulateCommand } from './simulate.js';
import { upCommand } from './up.js';

const program = new Command('cumulo')
  .description('cumulo: an actor-model, OpenStack-shaped private cloud fabric')
  .version('0.1.0')
  .showHelpAfterError();

program.addCommand(upCommand());
program.addCommand(simulateCommand());

await program.parseAsync(process.argv);
