# Helpers shared by the Pester suite and build.ps1's Demo task: the emulator, a throwaway vault, demo secrets.

$script:RepositoryRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

# Every pwsh a test starts inherits this: PowerShell would otherwise report its start-up to Microsoft (a DNS query and a
# connection attempt off this machine), and tests send nothing but to loopback.
$env:POWERSHELL_TELEMETRY_OPTOUT = '1'

function Start-TokenAuthEmulator {
    <#
    .SYNOPSIS
    Starts the built emulator on a free loopback port and waits until it answers; returns its process, root URI and port.
    -Https names TLS listeners and their PFX files (from New-TokenAuthTestCertificate): @{ Trusted = 'server.pfx' } gives
    .Https.Trusted = 'https://127.0.0.1:PORT/'. -ArgumentList passes more of the emulator's options (--client-certificate).
    #>
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'A test helper acting on a throwaway emulator or vault: nothing to confirm.')]
    [CmdletBinding()]
    param ([hashtable] $Https = @{}, [string[]] $ArgumentList = @())

    # The most recently built configuration (Debug or Release).
    $emulator = Get-ChildItem -Path (Join-Path $script:RepositoryRoot 'src/TokenAuth.Emulator/bin/*/net10.0/TokenAuth.Emulator.dll') -ErrorAction Ignore |
        Sort-Object LastWriteTimeUtc -Descending | Select-Object -First 1 -ExpandProperty FullName
    if (-not $emulator) {
        throw "The emulator is not built: run 'dotnet build TokenAuth.sln' first."
    }

    $port = Get-TokenAuthFreePort
    $roots = @{}
    foreach ($name in $Https.Keys) {
        $httpsPort = Get-TokenAuthFreePort
        $ArgumentList += '--https', "$httpsPort=$($Https[$name])"
        $roots[$name] = "https://127.0.0.1:$httpsPort/"
    }

    $log = [System.IO.Path]::GetTempFileName()
    $process = Start-Process -FilePath 'dotnet' -ArgumentList (@($emulator, '--port', $port) + $ArgumentList) -PassThru -NoNewWindow -RedirectStandardOutput $log
    $root = "http://127.0.0.1:$port/"
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    while ($true) {
        try {
            $null = Invoke-RestMethod -Uri "${root}_emulator/" -TimeoutSec 2
            break
        }
        catch {
            if ($process.HasExited -or [DateTime]::UtcNow -gt $deadline) {
                throw "The emulator did not start: $(Get-Content $log -Raw)"
            }
            Start-Sleep -Milliseconds 200
        }
    }

    [pscustomobject]@{ Process = $process; Root = $root; Port = $port; Https = $roots }
}

function Get-TokenAuthFreePort {
    <#
    .SYNOPSIS
    A loopback TCP port free at the moment of asking.
    #>
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function New-TokenAuthTestCertificate {
    <#
    .SYNOPSIS
    Makes a throwaway test CA and its certificates in a folder (the emulator's --write-test-certificates): ca.pem, server.pfx,
    wrong-name.pfx, expired.pfx, untrusted.pfx, client.pfx, other-client.pfx, client.pem and client.key. Returns their
    paths, the PFX password and the client certificate.
    #>
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'A test helper writing throwaway files: nothing to confirm.')]
    [CmdletBinding()]
    param ([Parameter(Mandatory)] [string] $Path)

    $emulator = Get-ChildItem -Path (Join-Path $script:RepositoryRoot 'src/TokenAuth.Emulator/bin/*/net10.0/TokenAuth.Emulator.dll') -ErrorAction Ignore |
        Sort-Object LastWriteTimeUtc -Descending | Select-Object -First 1 -ExpandProperty FullName
    $null = & dotnet $emulator --write-test-certificates $Path
    if ($LASTEXITCODE -ne 0) { throw "The emulator could not write test certificates to $Path." }
    $password = 'tokenauth-test-pfx'
    function File([string] $Name) { Join-Path $Path $Name }
    [pscustomobject]@{
        Folder = $Path; Password = $password; Bundle = File 'ca.pem'
        Server = File 'server.pfx'; WrongName = File 'wrong-name.pfx'; Expired = File 'expired.pfx'; Untrusted = File 'untrusted.pfx'
        ClientPfx = File 'client.pfx'; OtherClientPfx = File 'other-client.pfx'; ClientPem = File 'client.pem'; ClientKey = File 'client.key'
        Client = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new((File 'client.pfx'), $password)
        OtherClient = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new((File 'other-client.pfx'), $password)
    }
}

function Start-TokenAuthTestProxy {
    <#
    .SYNOPSIS
    Starts Debian's tinyproxy on a free loopback port, logging every request it serves (-Credential makes it demand
    Basic credentials); returns its address and log, or $null when tinyproxy is not installed. TokenAuth never sends
    loopback through a proxy, so the proxy resolves a name of its own, .TestHost (tokenauth-emulator.test, which the
    emulator's test certificates carry), to 127.0.0.1: it runs in a mount namespace of its own whose /etc/hosts says
    so. .TestHost is $null where that namespace cannot be made (not root, or no unshare).
    #>
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'A test helper acting on a throwaway proxy: nothing to confirm.')]
    [CmdletBinding()]
    param ([Parameter(Mandatory)] [string] $Folder, [pscredential] $Credential)

    $tinyproxy = Get-Command tinyproxy -CommandType Application -ErrorAction Ignore | Select-Object -First 1
    if (-not $tinyproxy) { return $null }
    $null = New-Item -ItemType Directory -Path $Folder -Force
    $port = Get-TokenAuthFreePort
    $log = Join-Path $Folder 'tinyproxy.log'
    $config = @(
        "Port $port", 'Listen 127.0.0.1', 'Timeout 60', "LogFile `"$log`"", 'LogLevel Connect', 'MaxClients 50', 'Allow 127.0.0.1', 'DisableViaHeader Yes'
        if ($Credential) { "BasicAuth $($Credential.UserName) $($Credential.GetNetworkCredential().Password)" }
    )
    $configPath = Join-Path $Folder 'tinyproxy.conf'
    Set-Content -Path $configPath -Value $config
    $testHost = 'tokenauth-emulator.test'
    $hosts = Join-Path $Folder 'hosts'
    Set-Content -Path $hosts -Value (@("127.0.0.1 $testHost") + @(Get-Content /etc/hosts -ErrorAction Ignore))
    $namespace = Join-Path $Folder 'in-namespace.sh'
    Set-Content -Path $namespace -Value 'mount --bind "$1" /etc/hosts && shift && exec "$@"'
    $unshare = Get-Command unshare -CommandType Application -ErrorAction Ignore | Select-Object -First 1
    if ($unshare) { $null = & $unshare.Source -m sh $namespace $hosts getent hosts $testHost 2>$null }
    if ($unshare -and $LASTEXITCODE -eq 0) {
        $process = Start-Process -FilePath $unshare.Source -ArgumentList '-m', 'sh', $namespace, $hosts, $tinyproxy.Source, '-d', '-c', $configPath -PassThru -NoNewWindow -RedirectStandardError (Join-Path $Folder 'stderr.txt')
    }
    else {
        $testHost = $null
        $process = Start-Process -FilePath $tinyproxy.Source -ArgumentList '-d', '-c', $configPath -PassThru -NoNewWindow -RedirectStandardError (Join-Path $Folder 'stderr.txt')
    }
    $deadline = [DateTime]::UtcNow.AddSeconds(10)
    while ($true) {
        $client = [System.Net.Sockets.TcpClient]::new()
        try { $client.Connect('127.0.0.1', $port); break } catch { if ([DateTime]::UtcNow -gt $deadline) { throw "tinyproxy did not start: $(Get-Content (Join-Path $Folder 'stderr.txt') -Raw)" } ; Start-Sleep -Milliseconds 100 } finally { $client.Dispose() }
    }
    # The command prefix that runs a command in a namespace of its own with the same /etc/hosts: it resolves .TestHost too.
    $resolving = if ($testHost) { @($unshare.Source, '-m', 'sh', $namespace, $hosts) }
    [pscustomobject]@{ Process = $process; Uri = "http://127.0.0.1:$port/"; Log = $log; TestHost = $testHost; Resolving = $resolving }
}

function Stop-TokenAuthTestProxy {
    <#
    .SYNOPSIS
    Stops a proxy Start-TokenAuthTestProxy started.
    #>
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'A test helper acting on a throwaway proxy: nothing to confirm.')]
    [CmdletBinding()]
    param ($Proxy)
    if ($Proxy -and -not $Proxy.Process.HasExited) { Stop-Process -Id $Proxy.Process.Id -Force }
}

function Get-TokenAuthTestProxyRequest {
    <#
    .SYNOPSIS
    The request lines the proxy's own log records, in order: 'POST http://127.0.0.1:PORT/apimw/v1/auth/token', 'CONNECT 127.0.0.1:PORT'.
    #>
    param ([Parameter(Mandatory)] $Proxy)
    foreach ($line in Get-Content -Path $Proxy.Log -ErrorAction Ignore) {
        if ($line -match 'Request \(file descriptor \d+\): (\S+ \S+)') { $Matches[1] }
    }
}

function Stop-TokenAuthEmulator {
    <#
    .SYNOPSIS
    Stops an emulator that Start-TokenAuthEmulator started.
    #>
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'A test helper acting on a throwaway emulator or vault: nothing to confirm.')]
    [CmdletBinding()]
    param ([Parameter(Mandatory)] $Emulator)

    if (-not $Emulator.Process.HasExited) { Stop-Process -Id $Emulator.Process.Id -Force }
}

function Get-TokenAuthEmulatorBaseUri {
    <#
    .SYNOPSIS
    A built-in provider's base URI on the emulator (http://127.0.0.1:PORT/akiba).
    #>
    param ([Parameter(Mandatory)] $Emulator, [Parameter(Mandatory)] [string] $Provider)
    $Emulator.Root + $Provider.ToLowerInvariant()
}

function Get-TokenAuthEmulatorCounter {
    <#
    .SYNOPSIS
    How many requests the emulator served at one endpoint ('akiba/token'); $null for none.
    #>
    param ([Parameter(Mandatory)] $Emulator, [Parameter(Mandatory)] [string] $Key)
    (Invoke-RestMethod "$($Emulator.Root)_emulator/counters").$Key
}

function Reset-TokenAuthEmulator {
    <#
    .SYNOPSIS
    Clears the emulator's counters and pending faults; tokens it issued stay valid.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param ([Parameter(Mandatory)] $Emulator)
    if ($PSCmdlet.ShouldProcess($Emulator.Root, 'Reset counters and faults')) {
        $null = Invoke-RestMethod -Method Post "$($Emulator.Root)_emulator/reset"
    }
}

function Add-TokenAuthEmulatorFault {
    <#
    .SYNOPSIS
    Makes the emulator answer the next -Times requests to one endpoint (token, refresh, revoke, whoami, or a resource
    name) with a fault; -Delivery Drip, Silence, Oversized or OversizedChunked makes it misbehave as well.
    #>
    param (
        [Parameter(Mandatory)] $Emulator, [Parameter(Mandatory)] [string] $Provider, [Parameter(Mandatory)] [string] $Endpoint,
        [int] $StatusCode = 500, [string] $Body, [string] $ContentType = 'application/json', [int] $DelayMilliseconds, [switch] $DelayOnly,
        [string] $RetryAfter, [int] $Times = 1,
        [ValidateSet('Whole', 'Drip', 'Silence', 'Oversized', 'OversizedChunked')] [string] $Delivery = 'Whole', [long] $Size = 64MB
    )
    $fault = @{ provider = $Provider.ToLowerInvariant(); endpoint = $Endpoint; statusCode = $StatusCode; contentType = $ContentType; times = $Times
        delayMilliseconds = $DelayMilliseconds; delayOnly = [bool] $DelayOnly; delivery = $Delivery; size = $Size }
    if ($PSBoundParameters.ContainsKey('Body')) { $fault.body = $Body }
    if ($RetryAfter) { $fault.retryAfter = $RetryAfter }
    $null = Invoke-RestMethod -Method Post "$($Emulator.Root)_emulator/faults" -Body ($fault | ConvertTo-Json) -ContentType 'application/json'
}

function Get-TokenAuthCredentialScript {
    <#
    .SYNOPSIS
    A fresh pwsh's way to a demo credential without a vault: the PowerShell text that makes it a PSCredential (the API
    key or client id as the user name, the secret as the password). Through NetworkCredential, so that it works where
    no module can load (ConvertTo-SecureString's module would autoload).
    #>
    param ([Parameter(Mandatory)] $Demo)
    $user = if ($Demo.apiKey) { $Demo.apiKey } else { $Demo.clientId }
    $secret = if ($Demo.apiSecret) { $Demo.apiSecret } else { $Demo.clientSecret }
    "[pscredential]::new('$user', [System.Net.NetworkCredential]::new('', '$secret').SecurePassword)"
}

function Invoke-TokenAuthFreshPwsh {
    <#
    .SYNOPSIS
    Runs a script in a new process of the PowerShell running now (so a 7.4 run tests 7.4), with the built module's
    folder on PSModulePath (not with -WithoutBuiltModule). -IsolatedHome gives it an empty home: no vault registered,
    no SecretStore configured, no user modules. -Through runs it by way of another command (a test proxy's .Resolving,
    so that it resolves the proxy's .TestHost itself). -CommandLine gives pwsh these options instead of -NoProfile
    -NonInteractive -Command, with '{script}' in them standing for the script. Returns the output lines (errors merged)
    and sets $LASTEXITCODE.
    #>
    param ([Parameter(Mandatory)] [string] $Script, [string] $IsolatedHome, [hashtable] $Environment = @{}, [switch] $WithoutBuiltModule, [string[]] $Through = @(),
        [string[]] $CommandLine)

    $Environment = $Environment.Clone()
    if (-not $Environment.ContainsKey('PSModulePath')) { $Environment.PSModulePath = $env:PSModulePath }
    if (-not $WithoutBuiltModule) { $Environment.PSModulePath = (Join-Path $script:RepositoryRoot 'out') + [System.IO.Path]::PathSeparator + $Environment.PSModulePath }
    if ($IsolatedHome) {
        $null = New-Item -ItemType Directory -Path $IsolatedHome -Force
        $Environment.HOME = $IsolatedHome
        $Environment.XDG_DATA_HOME = Join-Path $IsolatedHome '.local/share'
        $Environment.XDG_CONFIG_HOME = Join-Path $IsolatedHome '.config'
        $Environment.LOCALAPPDATA = Join-Path $IsolatedHome 'AppData/Local'
        # .NET names no folder that does not exist (GetFolderPath gives ''), and modules would then write to the current directory.
        foreach ($folder in $Environment.XDG_DATA_HOME, $Environment.XDG_CONFIG_HOME, $Environment.LOCALAPPDATA) { $null = New-Item -ItemType Directory -Path $folder -Force }
    }
    $pwsh = @($Through) + @(Get-TokenAuthPwshCommand)
    $pwshCommand = "`$ProgressPreference = 'SilentlyContinue'; `$PSStyle.OutputRendering = 'PlainText'; $Script"
    $options = if ($CommandLine) { $CommandLine | ForEach-Object { $_.Replace('{script}', $pwshCommand) } } else { '-NoProfile', '-NonInteractive', '-Command', $pwshCommand }
    Use-TokenAuthEnvironment $Environment {
        & $pwsh[0] @($pwsh | Select-Object -Skip 1) @options 2>&1 | ForEach-Object { "$_" }
    }
}

function Get-TokenAuthPwshCommand {
    <#
    .SYNOPSIS
    How to start the PowerShell running now in a new process: its executable, and pwsh.dll after it when it is the dotnet
    host (PowerShell run as a .NET tool, dotnet pwsh).
    #>
    $process = (Get-Process -Id $PID).Path
    if ((Split-Path $process -Leaf) -match '^dotnet(\.exe)?$') { $process, (Join-Path $PSHOME 'pwsh.dll') } else { $process }
}

function Use-TokenAuthEnvironment {
    <#
    .SYNOPSIS
    Runs a script block with environment variables set (a $null value removes one, as a job without them would run)
    and puts every one of them back afterwards; returns what the script block writes. The script block sees the
    caller's variables: this function's own names (-Set, -Run and its locals) are unlikely to hide any of them.
    #>
    param ([Parameter(Mandatory, Position = 0)] [hashtable] $Set, [Parameter(Mandatory, Position = 1)] [scriptblock] $Run)

    $environmentBefore = @{}
    foreach ($variableName in $Set.Keys) {
        $environmentBefore[$variableName] = [Environment]::GetEnvironmentVariable($variableName)
        [Environment]::SetEnvironmentVariable($variableName, $(if ($null -ne $Set[$variableName]) { [string] $Set[$variableName] }))
    }
    try {
        & $Run
    }
    finally {
        foreach ($variableName in $environmentBefore.Keys) { [Environment]::SetEnvironmentVariable($variableName, $environmentBefore[$variableName]) }
    }
}

function Get-TokenAuthPfxSecretScript {
    <#
    .SYNOPSIS
    The commands that store the test client certificate's PFX and its password (the secret that unlocks it) in the current vault (for a script run
    in a fresh pwsh), under the names a definition's clientCertificate.secretName and passwordSecretName give.
    #>
    param ([Parameter(Mandatory)] $Certificates, [Parameter(Mandatory)] [string] $PfxSecret, [Parameter(Mandatory)] [string] $UnlockSecret)

    "Set-Secret -Name $PfxSecret -Secret ([IO.File]::ReadAllBytes('$($Certificates.ClientPfx)')); " +
    "Set-Secret -Name $UnlockSecret -Secret (ConvertTo-SecureString '$($Certificates.Password)' -AsPlainText -Force); "
}

function Get-TokenAuthMedian {
    <#
    .SYNOPSIS
    The median of a benchmark's measurements (tests/bench): the middle one, or the mean of the middle two.
    #>
    param ([Parameter(Mandatory)] [double[]] $Values)
    $sorted = $Values | Sort-Object
    $middle = [int] [math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2) { $sorted[$middle] } else { ($sorted[$middle - 1] + $sorted[$middle]) / 2 }
}

function Assert-TokenAuthReleaseBuild {
    <#
    .SYNOPSIS
    Stops a benchmark (tests/bench) that would measure a Debug build: its assemblies run with the JIT's optimizer off,
    which is not what a user installs, and it made the cmdlets look 10-30 % slower than they are.
    .PARAMETER ModuleFolder
    The folder holding TokenAuth/ (the build's out/ by default).
    #>
    param ([string] $ModuleFolder = (Join-Path $script:RepositoryRoot 'out'))
    $engine = Join-Path $ModuleFolder 'TokenAuth/bin/net8.0/TokenAuth.Engine.dll'
    if (-not (Test-Path $engine)) { throw "No build at ${engine}: dotnet build TokenAuth.sln -c Release" }
    # Read in a context of its own, thrown away after: the module's own copy may be loaded (or loaded later) in this session.
    $context = [System.Runtime.Loader.AssemblyLoadContext]::new('TokenAuthBuildProbe', $true)
    try {
        $debuggable = $context.LoadFromAssemblyPath((Resolve-Path $engine).Path).GetCustomAttributesData() |
            Where-Object { $_.AttributeType.FullName -eq 'System.Diagnostics.DebuggableAttribute' }
        $modes = if ($debuggable) { [System.Diagnostics.DebuggableAttribute+DebuggingModes] $debuggable.ConstructorArguments[0].Value } else { 0 }
    }
    finally { $context.Unload() }
    if ($modes.HasFlag([System.Diagnostics.DebuggableAttribute+DebuggingModes]::DisableOptimizations)) {
        throw "$ModuleFolder holds a Debug build (the JIT's optimizer is off in it): measure what ships, after dotnet build TokenAuth.sln -c Release."
    }
}

function Register-TokenAuthTestVault {
    <#
    .SYNOPSIS
    Registers the throwaway file vault (tests/pester/TokenAuth.TestVault) under a name; -Locked and -Broken make its reads fail,
    -SlowFor makes a read of a name that matches it take 30 s, -ReadOnly makes its writes fail.
    #>
    [CmdletBinding()]
    param ([Parameter(Mandatory)] [string] $Name, [Parameter(Mandatory)] [string] $Path, [switch] $Locked, [switch] $Broken, [string] $SlowFor, [switch] $ReadOnly,
        [switch] $DefaultVault)

    Register-SecretVault -Name $Name -ModuleName (Join-Path $PSScriptRoot 'TokenAuth.TestVault/TokenAuth.TestVault.psd1') `
        -VaultParameters @{ Path = $Path; Locked = [bool] $Locked; Broken = [bool] $Broken; SlowFor = $SlowFor; ReadOnly = [bool] $ReadOnly } -DefaultVault:$DefaultVault -AllowClobber
}

function Set-TokenAuthDemoSecret {
    <#
    .SYNOPSIS
    Stores each built-in provider's emulator credential as TokenAuth.<Provider>: a hashtable for Akiba's three fields, a PSCredential for the others.
    #>
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSUseShouldProcessForStateChangingFunctions', '', Justification = 'A test helper acting on a throwaway emulator or vault: nothing to confirm.')]
    [Diagnostics.CodeAnalysis.SuppressMessageAttribute('PSAvoidUsingConvertToSecureStringWithPlainText', '', Justification = 'The emulator publishes its demo credentials; they protect nothing.')]
    [CmdletBinding()]
    param ([Parameter(Mandatory)] $Emulator, [Parameter(Mandatory)] [string] $Vault)

    $credentials = Invoke-RestMethod -Uri "$($Emulator.Root)_emulator/credentials"
    # A provider that takes no credential (AzureManagedIdentity: the machine is the identity) has none to store.
    foreach ($provider in Get-TokenAuthProvider | Where-Object { $_.BuiltIn -and $_.CredentialFields.Count -gt 0 }) {
        $credential = $credentials.($provider.Name.ToLowerInvariant())
        $secret = if ($provider.CredentialFields.Count -gt 2) {
            $table = @{}
            foreach ($field in $provider.CredentialFields) { $table[$field] = $credential.PSObject.Properties[$field].Value }
            $table
        }
        else {
            $user = if ($credential.clientId) { $credential.clientId } else { $credential.apiKey }
            $password = if ($credential.clientSecret) { $credential.clientSecret } else { $credential.apiSecret }
            [pscredential]::new($user, (ConvertTo-SecureString $password -AsPlainText -Force))
        }
        Set-Secret -Name "TokenAuth.$($provider.Name)" -Secret $secret -Vault $Vault
    }
    $credentials
}

function Enter-TokenAuthTestSession {
    <#
    .SYNOPSIS
    What each Pester file starts with: the built module imported into the session, the emulator (given
    -EmulatorArgumentList), and a throwaway vault made the default (the previous default is remembered) holding every built-in provider's demo credential. Returns
    them, with the demo secrets' values and the built manifest's path.
    #>
    [CmdletBinding()]
    param ([Parameter(Mandatory)] [string] $VaultPath, [string[]] $EmulatorArgumentList = @())

    $manifest = Join-Path $script:RepositoryRoot 'out/TokenAuth/TokenAuth.psd1'
    Import-Module $manifest -Global -Force -ErrorAction Stop
    $emulator = Start-TokenAuthEmulator -ArgumentList $EmulatorArgumentList
    $vault = 'TokenAuthPester' + [Guid]::NewGuid().ToString('N').Substring(0, 8)
    $previousDefault = (Get-SecretVault | Where-Object IsDefault).Name
    Register-TokenAuthTestVault -Name $vault -Path $VaultPath -DefaultVault
    $credentials = Set-TokenAuthDemoSecret -Emulator $emulator -Vault $vault
    $secrets = foreach ($credential in $credentials.PSObject.Properties.Value) {
        $credential.clientSecret, $credential.clientCredential, $credential.apiSecret | Where-Object { $_ }
    }
    [pscustomobject]@{ Manifest = $manifest; Emulator = $emulator; VaultName = $vault; PreviousDefault = $previousDefault; Credentials = $credentials; Secrets = @($secrets) }
}

function Exit-TokenAuthTestSession {
    <#
    .SYNOPSIS
    Undoes Enter-TokenAuthTestSession: the session's tokens, the vault, the default vault, the emulator.
    #>
    [CmdletBinding()]
    param ([Parameter(Mandatory)] $Session)

    Revoke-ProviderToken -All -Confirm:$false | Out-Null
    Unregister-SecretVault -Name $Session.VaultName -ErrorAction Ignore
    if ($Session.PreviousDefault) { Set-SecretVaultDefault -Name $Session.PreviousDefault }
    Stop-TokenAuthEmulator -Emulator $Session.Emulator
}

function Invoke-WithTokenAuthDemo {
    <#
    .SYNOPSIS
    Runs a script block with the emulator started (with TLS listeners when -Https names them, as for
    Start-TokenAuthEmulator) and its demo credentials in a throwaway vault (not the default one), and takes both down afterwards. The block receives the emulator and the credentials.
    #>
    [CmdletBinding()]
    param ([Parameter(Mandatory)] [string] $VaultName, [Parameter(Mandatory)] [scriptblock] $ScriptBlock, [hashtable] $Https = @{})

    $emulator = Start-TokenAuthEmulator -Https $Https
    $vaultFile = [System.IO.Path]::GetTempFileName()
    try {
        Register-TokenAuthTestVault -Name $VaultName -Path $vaultFile
        $credentials = Set-TokenAuthDemoSecret -Emulator $emulator -Vault $VaultName
        & $ScriptBlock $emulator $credentials
    }
    finally {
        Unregister-SecretVault -Name $VaultName -ErrorAction Ignore
        Remove-Item $vaultFile -ErrorAction Ignore
        Stop-TokenAuthEmulator -Emulator $emulator
    }
}

function Get-TokenAuthSecretStoreScript {
    <#
    .SYNOPSIS
    The start of a fresh pwsh's script that makes a real Microsoft.PowerShell.SecretStore vault, without a password, its default vault.
    #>
    "Import-Module Microsoft.PowerShell.SecretStore; Reset-SecretStore -Authentication None -Interaction None -Force -Confirm:`$false -WarningAction SilentlyContinue; " +
        'Register-SecretVault -Name TokenAuthStore -ModuleName Microsoft.PowerShell.SecretStore -DefaultVault; '
}

function Get-TokenAuthAllStream {
    <#
    .SYNOPSIS
    Everything a command wrote, on every stream, as one text: errors with their exception and details, for checking that no secret is in any of it.
    #>
    param ([Parameter(Mandatory)] [scriptblock] $Command)
    (& $Command *>&1 | ForEach-Object { if ($_ -is [System.Management.Automation.ErrorRecord]) { "$_ $($_.Exception) $($_.ErrorDetails)" } else { "$_" } }) -join "`n"
}

function Register-TokenAuthExampleVariant {
    <#
    .SYNOPSIS
    Registers a copy of one of examples/*.json under another name (the session's registry is shared by every test file),
    written to -Folder (where relative file names in it resolve) after -Edit changes it; returns the copy's path.
    #>
    [CmdletBinding()]
    param ([Parameter(Mandatory)] [string] $Example, [Parameter(Mandatory)] [string] $Name, [Parameter(Mandatory)] [string] $Folder, [scriptblock] $Edit)

    $definition = Get-Content (Join-Path $script:RepositoryRoot "examples/$Example") -Raw | ConvertFrom-Json -AsHashtable
    $definition.name = $Name
    if ($Edit) { & $Edit $definition }
    $path = Join-Path $Folder "$Name.json"
    $definition | ConvertTo-Json -Depth 10 | Set-Content $path
    $null = Register-TokenAuthProvider $path
    $path
}

Export-ModuleMember -Function Start-TokenAuthEmulator, Get-TokenAuthPwshCommand, Get-TokenAuthCredentialScript, Stop-TokenAuthEmulator, Get-TokenAuthFreePort, Get-TokenAuthSecretStoreScript, Get-TokenAuthPfxSecretScript,
    Get-TokenAuthAllStream, Use-TokenAuthEnvironment,
    Register-TokenAuthExampleVariant, New-TokenAuthTestCertificate, Start-TokenAuthTestProxy,
    Stop-TokenAuthTestProxy, Get-TokenAuthTestProxyRequest, Get-TokenAuthEmulatorBaseUri, Get-TokenAuthEmulatorCounter, Reset-TokenAuthEmulator,
    Add-TokenAuthEmulatorFault, Invoke-TokenAuthFreshPwsh, Get-TokenAuthMedian, Assert-TokenAuthReleaseBuild, Register-TokenAuthTestVault, Set-TokenAuthDemoSecret, Enter-TokenAuthTestSession,
    Exit-TokenAuthTestSession, Invoke-WithTokenAuthDemo
