namespace DrTools.Core.Runbooks;

/// <summary>The body a webhook expects: DrTools' own JSON, Slack's incoming webhook, or a Microsoft Teams message card.</summary>
public enum NotifyFormat { Json, Slack, Teams }
