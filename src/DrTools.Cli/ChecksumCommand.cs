using System.CommandLine;
using System.Text.Json;
using DrTools.Core;
using DrTools.Core.Integrity;

namespace DrTools.Cli;

/// <summary>drtools checksum: table counts and checksums; with --reference, a comparison that exits 1 unless it passed (FAIL, or nothing in
/// scope without --allow-empty).</summary>
public static class ChecksumCommand
{
    public static Command Create()
    {
        var target = new TargetOptions();
        var member = new Option<string?>("--of") { Description = "The member to read (name or host:port); default the primary." };
        var tables = new Option<string[]>("--table") { Description = "A table to checksum (repeat); default every table but drtools_*." };
        var reference = new Option<FileInfo?>("--reference") { Description = "A checksum saved earlier with --json: compare against it "
            + "(same tables)." };
        var allowEmpty = new Option<bool>("--allow-empty")
        {
            Description = "With --reference: pass when nothing is in scope (no table or key pattern in the reference or now); otherwise "
                + "that is 'not checked' (exit 1).",
        };
        var checkIndexes = new Option<bool>("--check-indexes")
        {
            Description = "PostgreSQL: also check every B-tree index of the tables against their rows (amcheck, which must be installed "
                + "in the database); exit 1 when one does not match. Rows alone never show a wrong index.",
        };
        var json = CommonOptions.Json();
        const string about = "Row counts and order-independent checksums of tables, or a comparison with a saved reference.";
        var command = new Command("checksum", about)
        {
            member, tables, reference, allowEmpty, checkIndexes, json,
        };
        target.AddTo(command);
        command.SetAction(async (parse, token) =>
        {
            var cluster = target.ResolveStore(parse);
            var indexes = parse.GetValue(checkIndexes) ? "--check-indexes" : null;
            if (parse.GetValue(reference) is { } file)
            {
                var comparison = await IndexCheck.CompareAsync(cluster, ReadReference(file), parse.GetValue(member),
                    parse.GetValue(allowEmpty), indexes, token);
                if (parse.GetValue(json)) Output.Json(comparison);
                else Console.WriteLine(comparison);
                return comparison.Passed ? ExitCodes.Success : ExitCodes.NotMet;
            }
            var checksum = await IndexCheck.ChecksumAsync(cluster, parse.GetValue(member),
                parse.GetValue(tables) is { Length: > 0 } named ? named : null, indexes, token);
            if (parse.GetValue(json)) Output.Json(checksum);
            else
            {
                Output.Table([checksum.TableWord.ToUpperInvariant(), $"{checksum.RowWord.ToUpperInvariant()}S", "CHECKSUM"],
                    checksum.Tables.Select(t => new[] { t.Table, t.Rows.ToString(), t.Checksum.ToString() }));
                if (checksum.Indexes is { } checkedIndexes) Console.WriteLine(checkedIndexes);
            }
            return checksum.Indexes is { Faults.Count: > 0 } ? ExitCodes.NotMet : ExitCodes.Success;
        });
        return command;
    }

    private static DbChecksum ReadReference(FileInfo file)
    {
        try
        {
            return JsonSerializer.Deserialize<DbChecksum>(File.ReadAllText(file.FullName), Output.JsonOptions)
                ?? throw new DrToolsException($"--reference {file.FullName}: the file is empty.", DrErrorKind.InvalidArgument);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DrToolsException($"--reference {file.FullName}: {e.Message}", DrErrorKind.InvalidArgument);
        }
        catch (JsonException e)
        {
            throw new DrToolsException($"--reference {file.FullName}: not a checksum saved by 'drtools checksum --json' (line "
                + $"{e.LineNumber + 1}: {e.Message.Split('.')[0]}).", DrErrorKind.InvalidArgument);
        }
    }
}
