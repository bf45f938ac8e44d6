namespace DrTools.Core.Metrics;

public enum MetricType { Gauge, Counter }
