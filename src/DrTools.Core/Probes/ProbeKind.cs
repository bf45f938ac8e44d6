using System.Collections.Concurrent;
using DrTools.Core.Postgres;
using Npgsql;

namespace DrTools.Core.Probes;

public enum ProbeKind { Write, Read }
