#Requires -Version 7.6
# Get-DbChecksum -CheckIndexes: an index whose entries no longer match its rows, which the row checksum cannot see, is
# reported as drtools checksum --check-indexes reports it (tests/DrTools.Cli.Tests/IndexCheckCliTests.cs).

BeforeAll {
    $RepositoryRoot = (Resolve-Path "$PSScriptRoot/../..").Path
    $version = (Import-PowerShellDataFile "$RepositoryRoot/module/DrTools.psd1").ModuleVersion
    Import-Module ($env:DRTOOLS_MODULE_MANIFEST ?? "$RepositoryRoot/output/DrTools/$version/DrTools.psd1") -Force
    $SandboxRoot = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-indexes-$([guid]::NewGuid().ToString('n'))"
    $Sandbox = New-DrSandbox -Standbys 0 -Path $SandboxRoot -Confirm:$false
    function Invoke-Sql([string] $Query) { $Sandbox | Invoke-DbQuery -Query $Query -Confirm:$false | Out-Null }
    # An expression index over a function declared immutable that is not: once what it reads changes, the index holds
    # the old values while the rows stay as they were.
    Invoke-Sql ('create table knob (k int); insert into knob values (0); ' +
        "create function shifted(int) returns int language sql immutable as 'select `$1 + (select k from knob)'; " +
        'create table t (id int primary key, n int not null); insert into t select g, g % 100 from generate_series(1, 10000) g; ' +
        'create index t_shifted on t (shifted(n))')
}

AfterAll {
    Remove-DrSandbox -All -Path $SandboxRoot -Confirm:$false
    Remove-Item $SandboxRoot -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Get-DbChecksum -CheckIndexes' {
    It 'stops in one line saying how to install amcheck when the database lacks it, naming -CheckIndexes' {
        $failure = { $Sandbox | Get-DbChecksum -Table public.t -CheckIndexes -ErrorAction Stop } | Should -Throw -PassThru
        $failure.Exception.Message | Should -Match ("^node0 \(127\.0\.0\.1:\d+\): amcheck is not installed in database 'postgres', " +
            "so its indexes cannot be checked: run 'create extension amcheck' there as a superuser \(on the primary\), " +
            'or leave -CheckIndexes out\.$')
        $failure.FullyQualifiedErrorId | Should -BeLike 'DrTools.InvalidOperation,*'
    }

    It 'passes sound indexes, then fails the one that no longer matches its rows while the row checksum still passes' {
        Invoke-Sql 'create extension amcheck'
        $reference = $Sandbox | Get-DbChecksum -Table public.t -CheckIndexes -WarningVariable quiet
        $quiet | Should -BeNullOrEmpty
        $reference.Indexes.Checked | Should -Be 2
        $reference.Indexes.Faults | Should -BeNullOrEmpty
        "$($reference.Indexes)" | Should -Be 'indexes: PASS: 2 B-tree index(es) match their rows'
        $reference.Indexes.HowMeasured | Should -BeLike "amcheck's bt_index_check*"
        # Without the switch nothing checks the indexes.
        ($Sandbox | Get-DbChecksum -Table public.t).Indexes | Should -BeNullOrEmpty

        Invoke-Sql 'update knob set k = 1'
        $now = $Sandbox | Get-DbChecksum -Table public.t -CheckIndexes -WarningVariable warned -WarningAction SilentlyContinue

        (Compare-DbChecksum -Reference $reference -Difference ($Sandbox | Get-DbChecksum -Table public.t)).Result | Should -Be 'PASS'
        # A checksum that checked its indexes carries their verdict into a comparison.
        (Compare-DbChecksum -Reference $reference -Difference $now).Result | Should -Be 'FAIL'
        $now.Indexes.Faults | Should -HaveCount 1
        $fault = $now.Indexes.Faults[0]
        $fault.Index | Should -Be 'public.t_shifted'
        $fault.Table | Should -Be 'public.t'
        $said = 'indexes: FAIL: public.t_shifted of public.t: heap tuple (0,1) from table "t" lacks matching index tuple within ' +
            'index "t_shifted"'
        "$($now.Indexes)" | Should -Be $said
        # Said as drtools says it, whatever view shows the checksum; a sound check says nothing.
        @($warned).Message | Should -Be $said
        ($now | Format-List | Out-String -Width 120) | Should -Match 'Indexes\s*: indexes: FAIL: public\.t_shifted of public\.t'
    }

    It 'fails a comparison with the cluster now when an index no longer matches its rows (Compare-DbChecksum -CheckIndexes)' {
        $reference = $Sandbox | Get-DbChecksum -Table public.t
        ($Sandbox | Compare-DbChecksum -Reference $reference).Result | Should -Be 'PASS'
        $checked = $Sandbox | Compare-DbChecksum -Reference $reference -CheckIndexes
        $checked.Result | Should -Be 'FAIL'
        $checked.Passed | Should -BeFalse
        "$checked" | Should -Be ('FAIL: index public.t_shifted of public.t: heap tuple (0,1) from table "t" lacks matching index tuple ' +
            'within index "t_shifted"')
        $checked.Current.Indexes.Checked | Should -Be 2
        { Compare-DbChecksum -Reference $reference -Difference $reference -CheckIndexes -ErrorAction Stop } |
            Should -Throw -ExpectedMessage 'Parameter set cannot be resolved*'
    }

    It 'is refused for another engine before anything is read' {
        $failure = { Get-DbChecksum -ConnectionString 'redis://127.0.0.1:1' -Engine Redis -CheckIndexes -ErrorAction Stop } |
            Should -Throw -PassThru
        $failure.Exception.Message | Should -Be '-CheckIndexes: PostgreSQL only (redis has no indexes of this kind).'
    }
}
