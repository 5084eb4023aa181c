## Key paths (ls, get, set, delete, export, merge)

A _KEY_ is written *HKLM\\SYSTEM\\*..., *HKEY_LOCAL_MACHINE\\SYSTEM\\*..., or as a
path below the hive root (*ControlSet001\\Services*); an empty _KEY_ is the
root. *SYSTEM*, *SOFTWARE*, *SAM* and *SECURITY* are known. In a disk image
the hive prefix picks the file under *Windows\\System32\\config* (a relative
path means *SYSTEM*). A hive file holds one hive: when its name says which
(*SYSTEM*, *software.hive*...), a path naming another hive is an error; when
the name says nothing, any prefix is accepted, but one invocation addresses
one hive.

Matching is case-insensitive, as in Windows. *CurrentControlSet*, as the first
component below the SYSTEM root, is the control set that *Select\\Current*
names (*ControlSet002* when Current is 2); the hive files hold no such key. A
component *\** stands for every existing subkey at that level:
*CurrentControlSet\\Services\\Tcpip\\Parameters\\Interfaces\\\** is every
interface.

Values are named as stored; *@* names a key's default (unnamed) value.

## ls

*vhive ls* [_OPTIONS_] _TARGET_ [_KEY_]

Lists the subkeys of _KEY_, one per line ending in *\\*, then its values, one
per line: _NAME_ TAB _TYPE_ TAB _TEXT_ (*@* for the default value). With a *\**
in _KEY_, each matching key is listed under a heading *[*_full path_*]*.

	vhive ls win10.vhdx 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters'

## get

*vhive get* [_OPTIONS_] _TARGET_ _KEY_ [_NAME_]

Prints one value as text: REG_SZ and REG_EXPAND_SZ as they are, REG_MULTI_SZ
one string per line, REG_DWORD and REG_QWORD in decimal, anything else as
comma-separated hex bytes. Without _NAME_ (or with *@*), the default value.
*--raw* writes the stored bytes unchanged (one key only). With a *\** in _KEY_,
each matching key that has the value gives _key path_ TAB _text_; keys without
it are skipped, and no match at all is an error.

	vhive get SYSTEM 'CurrentControlSet\\Services\\Tcpip\\Parameters' Hostname++
vhive get --raw SYSTEM Select Current | od -An -tx1

## set

*vhive set* [_OPTIONS_] _TARGET_ _KEY_ _NAME_ _VALUE_

Sets one value, creating _KEY_ and any missing parent. The type is part of
_VALUE_, as in *hivexsh*(1):

[[ *string:*_TEXT_
:- REG_SZ
|  *expand:*_TEXT_
:- REG_EXPAND_SZ
|  *multi:*_A_*,*_B_
:- REG_MULTI_SZ (*\\,* is a comma inside a string; *multi:* alone is the empty list)
|  *dword:*_N_
:- REG_DWORD (decimal, or hex with 0x)
|  *qword:*_N_
:- REG_QWORD
|  *hex:*_TYPE_*:*_BYTES_
:- any type by number, e.g. *hex:3:01,02,ff* (REG_BINARY) or *hex:0x20001:00*
|  *none*
:- REG_NONE, no data

With a *\** in _KEY_ the value is set on every matching key (none is created
for the *\**). *-n* prints what would change.

	vhive set win10.vhdx 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters' SearchList string:corp.example.com++
vhive set SOFTWARE.hive 'HKLM\\SOFTWARE\\Policies\\Vendor' Enabled dword:1

## delete

*vhive delete* [_OPTIONS_] _TARGET_ _KEY_ [_NAME_]

Deletes _KEY_ with everything below it, or only its value _NAME_. Unlike a
*.reg* file, a key or value that does not exist is an error. The root key of a
hive cannot be deleted.

	vhive delete SYSTEM 'CurrentControlSet\\Services\\Tcpip6\\Parameters' Dhcpv6DUID

## export

*vhive export* [_OPTIONS_] _TARGET_ [_KEY_]

Writes _KEY_ (default: the hive root) and every key below it to standard output
as *regedit* writes it: the header *Windows Registry Editor Version 5.00*, one
*[*_key_*]* section per key (its values, then a blank line; subkeys follow in
the hive's order), CRLF line ends, *\\\\* and *\\"* escaped in names and strings,
*dword:*_xxxxxxxx_, *hex:* for REG_BINARY and *hex(*_N_*):* for every other type,
with hex lines broken by *\\* where regedit breaks them (a line ends once it
reaches 77 columns; continuation lines start with two spaces). Key paths start
with *HKEY_LOCAL_MACHINE\\*_HIVE_, the hive taken from _KEY_, else from the hive
file's name, else SYSTEM.

A REG_SZ is written as a string only when a string line gives back exactly the
same bytes (one terminating NUL, no line breaks); a REG_DWORD as *dword:* only
when it is 4 bytes. Anything else is written as *hex(*_N_*):*, so *merge* of an
export restores identical values, and export, merge into an empty hive, export
again gives the same text.

The output is UTF-8; *--utf16* writes UTF-16LE with a byte order mark, as
regedit does.

	vhive export win10.vhdx 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip' > tcpip.reg

## merge

*vhive merge* [_OPTIONS_] _TARGET_ _FILE.reg_...

Applies regedit files to _TARGET_, in order, with regedit's semantics. The
files may be UTF-16LE with a byte order mark (what regedit writes), UTF-8 with
or without one, or ASCII, and start with *Windows Registry Editor Version 5.00*
or *REGEDIT4* (whose *hex(2)* and *hex(7)* bytes are ANSI text, taken as
Latin-1 and stored as UTF-16LE). Understood: *[*_KEY_*]*, *[-*_KEY_*]* (delete
the key and its subkeys), *"*_NAME_*"=*_data_ and *@=*_data_ with *"*_text_*"*
(REG_SZ; only *\\\\* and *\\"* are escapes), *dword:*_1-8 hex digits_, *hex:* and
*hex(*_N_*):* bytes continued over lines ending in *\\*, *"*_NAME_*"=-* (delete
the value), comments (*;*) and blank lines. Keys must start with
*HKEY_LOCAL_MACHINE\\* (or *HKLM\\*); all keys of one merge must be in one hive.

Every file is read, parsed and checked against the hive before anything is
written: a syntax error, a key of another hive, an unresolvable
*CurrentControlSet* or a placeholder (below) stops the merge with
_FILE_*:*_LINE_*:* and the reason, and the hive is left as it was. Later
sections see what earlier ones did (a key deleted then written again is
created afresh). The net result is written in one atomic commit, each changed
key's value list in one write. A value set to what it already holds is not a
change; a merge that changes nothing writes nothing. *-n* (*--dry-run*) prints
each change (*add key*, *delete key*, *add value*, *set value*, *delete value*,
with old and new type and text) and writes nothing. A *\** section that matches
no key is reported on standard error and is not an error.

Missing keys, parents included, are created, as regedit does, with one
exception: a missing key whose name is in braces but is not a GUID
(*{GUID_OF_NETWORK_ADAPTOR}*, *{INTERFACE}*) is taken as a placeholder that was
never filled in, and the merge fails naming that key. Write the real key name,
or *\** for every existing subkey. A missing *{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}*
key is created. Deleting a key or value that does not exist does nothing.

As in regedit, *"X"=""* writes REG_SZ "" whatever type X had, and creates X
when it is absent. That is how merge differs from *vhive scrub*, which keeps
each value's type (an empty REG_MULTI_SZ stays REG_MULTI_SZ) and never creates
a value. The well-known PVS fix, with the placeholder replaced by *\**,

	Windows Registry Editor Version 5.00++
[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters]++
"NameServer"=""++
[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters\\Interfaces\\\*]++
"NameServer"=""++
"Domain"=""++
"DhcpIPAddress"=""++
"DhcpSubnetMask"=""++
"DhcpServer"=""++
"DhcpNameServer"=""++
"DhcpDefaultGateway"=""

blanks those values on every interface, and leaves *DhcpDefaultGateway* as
REG_SZ: Windows then reads it as a string where it expects a list. Prefer
*vhive scrub* for that job.

	vhive merge -n win10.vhdx fix.reg    # what would change++
vhive merge win10.vhdx fix.reg

## Options of the editor commands

*set*, *delete* and *merge* take *-n*/*--dry-run* and *-o*/*--output* _FILE_ (hive
files only: write the result to _FILE_ and leave _TARGET_ as it was); *get*
takes *--raw*; *export* takes *--utf16*. All six take *--format*, *--root*,
*--backend*, *--force*, *--backup* (writers), *-v* and *-h*; *--json* is
refused. Each takes one _TARGET_. Dirty hives are replayed first, and every
write is atomic, as for *scrub*.
