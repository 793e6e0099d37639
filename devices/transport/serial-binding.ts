import type { OpenOptions } from '@serialport/stream';

/*
 * The node-serialport binding contract, named from one place. The typings of
 * @serialport/bindings-interface are hidden from NodeNext ESM resolution by its `exports`
 * map, but @serialport/stream re-uses them in its own typings, so they are reached from there.
 */

/** What opens ports: real bindings (`autoDetect()`) or an in-process simulator binding. */
export type BindingInterface = OpenOptions['binding'];
/** One open port as a binding returns it. */
export type BindingPortInterface = Awaited<ReturnType<BindingInterface['open']>>;
/** What `BindingInterface.open` receives: path, baud rate and line settings. */
export type BindingOpenOptions = Parameters<BindingInterface['open']>[0];
/** One entry of `BindingInterface.list()`. */
export type BindingPortInfo = Awaited<ReturnType<BindingInterface['list']>>[number];
