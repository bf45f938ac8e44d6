using DrTools.Core.Sandboxes;

namespace DrTools.Core.Monitoring;

public enum AlertState { Firing, Resolved }
