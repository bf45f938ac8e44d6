using System.Security.Cryptography;
using DrTools.Core.Postgres;
using DrTools.Core.Processes;
using Npgsql;

namespace DrTools.Core.Sandboxes;

public sealed record SandboxMemberInfo(string Name, int Port, bool Running);
