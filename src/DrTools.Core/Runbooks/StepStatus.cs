using System.Text.Json;
using System.Text.Json.Serialization;

namespace DrTools.Core.Runbooks;

public enum StepStatus { Pending, Running, Passed, Failed, TimedOut, Aborted, Cancelled, Skipped }
