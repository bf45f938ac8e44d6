namespace DrTools.Core.Runbooks;

public enum StepStatus { Pending, Running, Passed, Failed, TimedOut, Aborted, Cancelled, Skipped }
