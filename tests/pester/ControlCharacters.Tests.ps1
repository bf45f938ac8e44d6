#Requires -Version 7.6
# Names and error text come from outside (a folder's name, a drill's step names, the error a step threw): shown through
# the module's format views, a control character appears escaped (\x1B), never reaches the terminal, where ESC [2J
# clears the screen and ESC ]0;... BEL retitles it. The objects are the cmdlets' own; no server is needed.

BeforeDiscovery {
    $Cases = foreach ($type in 'SandboxInfo', 'RunJournal', 'StepRecord') { foreach ($view in 'Table', 'List') { @{ Type = $type; View = $view } } }
}

BeforeAll {
    $RepositoryRoot = (Resolve-Path "$PSScriptRoot/../..").Path
    $version = (Import-PowerShellDataFile "$RepositoryRoot/module/DrTools.psd1").ModuleVersion
    Import-Module ($env:DRTOOLS_MODULE_MANIFEST ?? "$RepositoryRoot/output/DrTools/$version/DrTools.psd1") -Force
    $Work = Join-Path ([IO.Path]::GetTempPath()) "drtools-pester-controls-$([guid]::NewGuid().ToString('n'))"
    $saved = @{ DRTOOLS_RUNS_ROOT = $env:DRTOOLS_RUNS_ROOT; DRTOOLS_HISTORY = $env:DRTOOLS_HISTORY }
    $env:DRTOOLS_RUNS_ROOT = "$Work/runs"; $env:DRTOOLS_HISTORY = "$Work/history"
    # The views' own text only: no header styling, whatever the terminal this runs in.
    $PSStyle.OutputRendering = 'PlainText'
    $Clear = "`e[2J"
    $Retitle = "`e]0;owned`a"

    # A folder among the sandboxes whose name clears the screen: listed as not a sandbox, by that name.
    New-Item -ItemType Directory "$Work/sandboxes/sb$Clear" | Out-Null
    $sandbox = Get-DrSandbox -Path "$Work/sandboxes" | Where-Object Id -Like 'sb*'
    # A drill whose step name clears the screen and whose step fails with an error text that retitles the terminal.
    $run = Start-DrRun "Drill$Clear"
    Invoke-DrStep $run "Fail over$Clear" { throw "the server said $Retitle" } -ErrorAction SilentlyContinue | Out-Null
    $journal = $run | Complete-DrRun
    $Objects = @{ SandboxInfo = $sandbox; RunJournal = $journal; StepRecord = $journal.Steps[0] }
}

AfterAll {
    foreach ($name in $saved.Keys) { if ($saved[$name]) { Set-Item "Env:$name" $saved[$name] } else { Remove-Item "Env:$name" -ErrorAction SilentlyContinue } }
    Remove-Item -LiteralPath $Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Control characters in the format views' {
    It '<Type>: the <View> view shows ESC escaped, never raw' -ForEach $Cases {
        $item = $Objects[$Type]
        $item | Should -Not -BeNullOrEmpty
        $item.GetType().Name | Should -Be $Type
        $text = if ($View -eq 'Table') { $item | Format-Table | Out-String -Width 400 } else { $item | Format-List | Out-String -Width 400 }

        $text | Should -Not -Match '[\x00-\x08\x0B-\x1F\x7F]' -Because "no control character may reach the terminal:`n$text"
        $text | Should -Match ([regex]::Escape('\x1B[2J')) -Because "the name is shown, escaped:`n$text"
    }

    It 'the error text a step failed with is shown escaped in its list view' {
        $Objects.StepRecord | Format-List | Out-String -Width 400 | Should -Match ([regex]::Escape('the server said \x1B]0;owned\x07'))
    }

    It 'a run or a step named with a line break is refused: on a console line of its own it would print a forged PASS' {
        { Start-DrRun "Drill`nPASS: forged" } | Should -Throw "run name: 'Drill\x0APASS: forged' holds a line break; a name is one line."
        $run = Start-DrRun 'Line breaks'
        { Invoke-DrStep $run "status`nPASS: forged" { 1 } } | Should -Throw "step name: 'status\x0APASS: forged' holds a line break*"
        { Register-DrCleanup $run "c`nPASS: forged" { 1 } } | Should -Throw "step name: 'c\x0APASS: forged' holds a line break*"
        { Start-DrRun 'Types' -TestType "t`nPASS: forged" } | Should -Throw "test type: 't\x0APASS: forged' holds a line break*"
        ($run | Complete-DrRun).Steps.Count | Should -Be 0
    }

    It 'every table column and list item of the format file shows its value through FormatText' {
        $formats = [xml](Get-Content "$RepositoryRoot/module/DrTools.Format.ps1xml" -Raw)
        $items = @($formats.SelectNodes('//TableColumnItem | //ListItem'))
        $items.Count | Should -BeGreaterThan 100
        $raw = $items | Where-Object { -not $_.ScriptBlock -or -not $_.ScriptBlock.StartsWith('[DrTools.PowerShell.FormatText]::Show(') }
        $raw | ForEach-Object { $_.OuterXml } | Should -BeNullOrEmpty -Because 'a PropertyName or a bare ScriptBlock prints control characters raw'
    }
}
