namespace DrTools.Core.Monitoring;

public enum AlertState { Firing, Resolved }
