using System.Globalization;
using System.Text;

namespace DrTools.Core.Metrics;

public enum MetricType { Gauge, Counter }
