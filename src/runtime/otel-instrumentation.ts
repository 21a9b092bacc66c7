import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import { settingsFromEnv, settingsFromOptions, type Options } from '../config/settings';
import { version } from '../core/version';
import { otelSink } from '../sinks/otel/sink';
import { scopeName } from '../sinks/otel/names';
import { installOwn, ownRuntime } from './active';

export interface LoopguardInstrumentationConfig extends Options {
  /** Default true: enabled when constructed, as OpenTelemetry instrumentations are. */
  enabled?: boolean;
}

/**
 * loopguard as an entry of the OpenTelemetry Node SDK's `instrumentations` list. Enabling it
 * installs the guard (when no preload did) with the LOOPGUARD_* variables and these options, and
 * exports spans and metrics to the providers the SDK hands it; `setConfig` changes the options of
 * the running guard.
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
    const { enabled: _, ...options } = config;
    settingsFromOptions(options); // a ConfigError naming what is wrong, now
    this.config = { ...config };
    if (config.enabled !== false) this.enable();
  }

  enable(): void {
    if (this.removeSink !== undefined) return;
    const { enabled: _, ...options } = this.config;
    const runtime = ownRuntime();
    if (!runtime.installed) {
      this.installedHere = installOwn(settingsFromOptions(options, settingsFromEnv(process.env))).active;
    } else if (Object.keys(options).length > 0) {
      runtime.configure(options);
    }
    runtime.claimOtel(true);
    this.config.enabled = true;
    this.connect();
  }

  disable(): void {
    this.removeSink?.();
    this.removeSink = undefined;
    this.config.enabled = false;
    const runtime = ownRuntime();
    if (runtime.installed) runtime.claimOtel(false);
    if (this.installedHere) runtime.uninstall();
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

  /** New options for the guard: in force at once when enabled (invalid ones throw a ConfigError). */
  setConfig(config: LoopguardInstrumentationConfig): void {
    const { enabled: _, ...options } = config;
    const runtime = ownRuntime();
    if (this.config.enabled === true && runtime.installed) runtime.configure(options);
    else settingsFromOptions(options);
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
    const sink = otelSink(options);
    const remove = ownRuntime().addSink(sink);
    this.removeSink = () => {
      remove();
      sink.close?.(ownRuntime().summary()); // stops its provider lookups
    };
  }
}
