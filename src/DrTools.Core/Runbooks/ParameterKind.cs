namespace DrTools.Core.Runbooks;

public enum ParameterKind { String, StringList, Integer, Number, Boolean, Duration, Timestamp, Choice, Target, Object }
