import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import { settingsFromEnv, settingsFromOptions, type Options } from '../../config';
import { claimOtel, install, isInstalled, uninstall } from '../../guard/install';
import { state } from '../../guard/state';
import { scopeName } from './names';
import { otelSink } from './sink';

export interface LoopguardInstrumentationConfig extends Options {
  /** Default true: enabled when constructed, as OpenTelemetry instrumentations are. */
  enabled?: boolean;
}

const version: string = (require('../../../package.json') as { version: string }).version;

/**
 * loopguard as an entry of the OpenTelemetry Node SDK's `instrumentations` list. Enabling it
 * installs the guard (when no preload did) with the LOOPGUARD_* variables and these options, and
 * exports spans and metrics to the providers the SDK hands it.
 */
export class LoopguardInstrumentation {
  readonly instrumentationName = scopeName;
  readonly instrumentationVersion = version;
  private config: LoopguardInstrumentationConfig;
  private tracerProvider: TracerProvider | undefined;
  private meterProvider: MeterProvider | undefined;
  private removeSink: (() => void) | undefined;
  private installedHere = false;

  constructor(config: LoopguardInstrumentationConfig = {}) {
    this.config = { ...config };
    if (config.enabled !== false) this.enable();
  }

  enable(): void {
    if (this.removeSink !== undefined) return;
    const { enabled: _, ...options } = this.config;
    if (!isInstalled()) {
      install(settingsFromOptions(options, settingsFromEnv(process.env)));
      this.installedHere = true;
    }
    claimOtel(true);
    this.config.enabled = true;
    this.connect();
  }

  disable(): void {
    this.removeSink?.();
    this.removeSink = undefined;
    this.config.enabled = false;
    claimOtel(false);
    if (this.installedHere) uninstall();
    this.installedHere = false;
  }

  setTracerProvider(provider: TracerProvider): void {
    this.tracerProvider = provider;
    if (this.removeSink !== undefined) this.connect();
  }

  setMeterProvider(provider: MeterProvider): void {
    this.meterProvider = provider;
    if (this.removeSink !== undefined) this.connect();
  }

  setConfig(config: LoopguardInstrumentationConfig): void {
    this.config = { ...config, enabled: this.config.enabled };
  }

  getConfig(): LoopguardInstrumentationConfig {
    return this.config;
  }

  private connect(): void {
    this.removeSink?.();
    const options: { tracerProvider?: TracerProvider; meterProvider?: MeterProvider } = {};
    if (this.tracerProvider !== undefined) options.tracerProvider = this.tracerProvider;
    if (this.meterProvider !== undefined) options.meterProvider = this.meterProvider;
    this.removeSink = state.dispatcher.addSink(otelSink(options));
  }
}
