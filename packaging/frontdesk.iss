; Inno Setup script: the Windows installer of the one-folder build (README: Building the installer).
;
; Build dist\frontdesk\ on Windows first (pyinstaller --noconfirm packaging\frontdesk.spec),
; then, from the repository's root:
;   iscc /DAppVersion=0.1.0 packaging\frontdesk.iss
; Signed (the executables in dist\frontdesk\ signed beforehand; see the README):
;   iscc /DAppVersion=0.1.0 /DSign "/Ssigntool=signtool.exe sign /fd sha256 /tr http://timestamp.digicert.com /td sha256 /a $f" packaging\frontdesk.iss
; The installer lands in dist\installer\Frontdesk-<version>-setup.exe.
;
; The clinic's data is never in the program folder: frontdesk.db, its backups and logs live in
; %LOCALAPPDATA%\Frontdesk (platformdirs), so an upgrade replaces the program and keeps the data,
; and an uninstall leaves the data where it is.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
; The AppId ties upgrades and the uninstaller to one product: never change it.
AppId={{6C1E8B52-4F0A-4C8E-9D5B-2A7F3E9C1D40}
AppName=Frontdesk
AppVersion={#AppVersion}
AppPublisher=Frontdesk
AppVerName=Frontdesk {#AppVersion}
; Per user by default (no administrator needed at a front desk: %LOCALAPPDATA%\Programs\Frontdesk);
; an administrator may choose an install for all users (Program Files) in the dialog.
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
DefaultDirName={autopf}\Frontdesk
DefaultGroupName=Frontdesk
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
SourceDir=..
OutputDir=dist\installer
OutputBaseFilename=Frontdesk-{#AppVersion}-setup
SetupIconFile=packaging\frontdesk.ico
UninstallDisplayIcon={app}\frontdesk.exe
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; An upgrade while the app is open: ask to close it, and start it again afterwards.
CloseApplications=yes
RestartApplications=yes
#ifdef Sign
; "signtool" is defined on the command line (/Ssigntool=...): the setup and the uninstaller
; are signed as they are written.
SignTool=signtool
SignedUninstaller=yes
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[InstallDelete]
; An upgrade must not keep modules an older build had and this one dropped.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
; The whole one-folder bundle: frontdesk.exe (no console window), frontdesk-cli.exe (the
; command line) and _internal\ (Python, Qt with its plugins, resources, migrations).
Source: "dist\frontdesk\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\Frontdesk"; Filename: "{app}\frontdesk.exe"
Name: "{autodesktop}\Frontdesk"; Filename: "{app}\frontdesk.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\frontdesk.exe"; Description: "{cm:LaunchProgram,Frontdesk}"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete] for %LOCALAPPDATA%\Frontdesk: the clinic's database and backups stay.
