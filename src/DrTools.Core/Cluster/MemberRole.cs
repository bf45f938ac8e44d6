namespace DrTools.Core.Cluster;

public enum MemberRole { Primary, Standby, Unreachable }
