using DrTools.Core.Postgres;
using DrTools.Core.Sandboxes;

namespace DrTools.Core.Tests;

/// <summary>Primary node0, standbys node1 and node2, and a table to write marks in.</summary>
public sealed class FaultSandbox() : FaultSandboxFixture(new SandboxOptions { Standbys = 2 })
{
    protected override Task PrepareAsync() => Sql.ExecuteAsync(Sandbox, "node0", "create table fault_marks (id serial primary key, at timestamptz default now())");
}
