namespace DrTools.Core.Runbooks;

public enum RunbookSection { PreCheck, Step, Cleanup, AbortCondition }
