# bench/sec/UserActivity.pm - corral's kind 1 (suspicious-user-activity) in Perl, for SEC.
#
# The Perl that a SEC user would write to correlate Defender for Cloud alerts by user: SEC
# matches lines with regular expressions and keeps its windows on the wall clock, so decoding
# JSON, deciding an alert's plan and keeping sessions in the alerts' own time all have to be Perl
# inside SEC. user-activity.sec loads this module at SEC_STARTUP and calls line() from a PerlFunc
# pattern on every input line. With CORRAL_SEC_INPUT=projected, line() reads instead the
# pre-digested lines of bench/sec/project (see projected()), for the older, generous comparison;
# the sessions are the same.
#
# What line() does with one NDJSON line, as corral does it (src/ingest/decode.c, entities.c,
# src/classify/catalog.c, plan.c, src/util/time.c; spec/incidents.md):
#
#   * decode it with JSON::XS; find its alerts by shape: a list, a REST list {"value":[...]}, a
#     Swagger example (responses/200/body), a REST envelope {id, name, type, properties} or a
#     flat object (export, Sentinel row). Keys are matched ASCII case-insensitively.
#   * reject an alert without a systemAlertId or a start time (startTimeUtc, StartTime) that
#     parses as corral's ISO 8601, or with a JSON-in-string column (Entities,
#     ExtendedProperties) that is not valid JSON; reject it on a cycle of $ref, on entities
#     nested deeper than 64 levels or on more than 10,000 entity objects.
#   * users: every object with a string Type "account" found walking the entities (the list, or
#     the Entities column parsed again) through every nested object and list, each object once,
#     {"$ref":"n"} standing for the object of "$id":"n" (a $ref to nothing reads as absent).
#     An account's key is AadUserId, else ObjectGuid, else name@upnsuffix, else ntdomain\name,
#     else Sid, ASCII lower-cased; DOMAIN\name and name@suffix in Name are split; local domains
#     (NT AUTHORITY, BUILTIN...), well-known SIDs and all-zero GUIDs do not count; built-in names
#     without a domain, and bare local names, are not entities. A service principal (said so by
#     ObjectType/AccountType/IdentityType, or an id without UPN suffix, domain or SID) is not a
#     user.
#   * scope: the record's tenantId, else the AzureResource identifier's AzureResourceTenantId,
#     else the AAD identifier's AadTenantId, else the subscription of AzureResourceId, of an
#     identifier's azureResourceId, of a workspace, of ResourceId, of the envelope's id;
#     lower-cased.
#   * plan: corral's resolved alert-type table (data/alert-types.tsv, loaded once by init());
#     a type with rows under several plans takes the row of the alert's display name, then the
#     plan of productComponentName, then that of the alertType prefix; a type not in the table
#     takes the plan of productComponentName, else of the prefix.
#
# Sessions (src/engine/engine.c): an alert whose systemAlertId is held already is a duplicate,
# one that starts before the watermark (newest start time seen - 24 h of lateness) is too late;
# both are dropped. Each other alert joins the sorted list of every (scope, user) it names. A
# session is the run of a list that starts at alert a_i and takes each next alert a_j while
# a_j - a_(j-1) <= 24 h and a_j - a_i < $MAX_SPAN; the first alert not taken starts the next
# session. Once the watermark shows that no alert still to come can join it, a session of 2+
# alerts from 2+ known plans is a group, and its alerts let go. finish() closes the rest.
#
# Known differences, none of which a generated corpus has: JSON::XS keeps an object's members
# in a hash, so where one object has the same key twice (or in two cases), or the same $id twice,
# this takes the first in sorted key order or walk order where corral takes the first (or, for
# $ref, the nearest) in document order; one JSON value a line (corral also reads a document
# spread over lines, such as a pretty-printed array); no record or document size limits.
#
# Output: one line per group, "SCOPE USER ID,ID,..." (ids in start-time order); white space,
# ',', '%', '$' and '\' in a field are written as \x{HEX} (SEC would take '%' and '$' for
# variables), and "-" stands for the empty scope.
package UserActivity;

use strict;
use warnings;
use feature 'unicode_strings';
no warnings 'recursion';
use builtin ();
no warnings 'experimental::builtin';
use JSON::XS ();

use constant {
    TICKS_PER_SECOND => 10_000_000,
    DAY              => 864_000_000_000,                       # 24 h in 100 ns ticks
    TIME_MIN         => -719162 * 864_000_000_000,             # 0001-01-01T00:00:00Z
    TIME_MAX         => 2932897 * 864_000_000_000 - 1,         # 9999-12-31T23:59:59.9999999Z
    MAX_DEPTH        => 64,
    MAX_ENTITIES     => 10000,
    PATH             => 1,
    DONE             => 2,
};

# The session window and the lateness: corral's defaults (24 h).
our $WINDOW   = DAY;
our $LATENESS = DAY;

# The longest span of a session, first alert to last (corral's max_span, 7 days); 0 = no cap.
# CORRAL_SEC_MAX_SPAN overrides it: days as a number, "0" for none.
our $MAX_SPAN = 7 * DAY;

# What an input line is: "ndjson" (alerts) or "projected" (CORRAL_SEC_INPUT).
our $INPUT = 'ndjson';

my $json_line   = JSON::XS->new->utf8->allow_nonref->max_depth(MAX_DEPTH);
my $json_column = JSON::XS->new->allow_nonref->max_depth(MAX_DEPTH);

my @PLANS = qw(Servers AppService Storage SQL CosmosDB KeyVault ResourceManager DNS Containers
               APIs AI Network);
my %PLAN_NAME;    # folded plan name -> plan

# productComponentName values, folded: lower-case, without ' ', '-', '_', '.', tab (plan.c).
my %COMPONENT;
{
    my %by_plan = (
        Servers => [qw(servers server virtualmachines virtualmachine vm vms machines
                       virtualmachinescalesets hybridmachines arcmachines defenderforservers)],
        AppService => [qw(appservices appservice webapps webapp defenderforappservice)],
        Storage    => [qw(storage storageaccounts storageaccount defenderforstorage)],
        SQL => [qw(sql sqlservers sqlserver sqldatabases sqldatabase sqlmanagedinstances
                   sqlmanagedinstance sqlservervirtualmachines sqlservervirtualmachine
                   sqlserversonmachines opensourcerelationaldatabases
                   opensourcerelationaldatabase opensourcedatabases postgresql mysql mariadb
                   synapse defenderforsql)],
        CosmosDB => [qw(cosmosdbs cosmosdb azurecosmosdb defenderforazurecosmosdb)],
        KeyVault => [qw(keyvaults keyvault defenderforkeyvault)],
        ResourceManager =>
            [qw(arm resourcemanager azureresourcemanager defenderforresourcemanager)],
        DNS        => [qw(dns azuredns defenderfordns)],
        Containers => [qw(containers container kubernetesservice kubernetesservices kubernetes
                          containerregistry containerregistries defenderforcontainers)],
        APIs => [qw(api apis apimanagement defenderforapis)],
        AI   => [qw(ai aiservices azureai openai azureopenai cognitiveservices
                    defenderforaiservices)],
        Network => [qw(network networklayer azurenetworklayer ddos ddosprotection
                       azureddosprotection)],
    );
    for my $plan (keys %by_plan) {
        $COMPONENT{$_} = $plan for @{ $by_plan{$plan} };
    }
}

# alertType prefixes, in the order of incidents.md.
my @PREFIX = (
    [vm_ => 'Servers'], [arm_ => 'ResourceManager'], [rm_ => 'ResourceManager'],
    ['storage.' => 'Storage'], [kv_ => 'KeyVault'], ['sql.' => 'SQL'], ['synapse.' => 'SQL'],
    [cosmosdb_ => 'CosmosDB'], [azuredns_ => 'DNS'], [k8s => 'Containers'],
    [appservices_ => 'AppService'], [api_ => 'APIs'], ['ai.' => 'AI'],
    [network_ => 'Network'],
);

# Account names that exist on every machine, and NT domains that are not domains (entities.c).
my %BUILTIN_NAME = map { $_ => 1 } ('system', 'root', 'administrator', 'local system',
    'local service', 'network service', 'anonymous', 'anonymous logon', 'guest',
    'defaultaccount', 'wdagutilityaccount');
my %LOCAL_DOMAIN = map { $_ => 1 } ('nt authority', 'builtin', 'nt service', 'iis apppool',
    'window manager', 'font driver host');

# The members read, by lower-case key: of an alert object, of an entity object, of a
# resourceIdentifiers item.
my %ALERT_KEY = map { $_ => 1 } qw(id systemalertid alerttype alertdisplayname displayname
    alertname productcomponentname starttimeutc starttime entities extendedproperties
    resourceidentifiers azureresourceid resourceid tenantid workspacesubscriptionid properties
    value responses $schema);
my %ENTITY_KEY = map { $_ => 1 } qw(type name ntdomain dnsdomain upnsuffix sid aaduserid
    objectguid objecttype accounttype identitytype);
my %IDENT_KEY = map { $_ => 1 } qw(type azureresourceid azureresourcetenantid aadtenantid
    workspacesubscriptionid subscriptionid);

# ---- state ----

my %catalog;      # lower-case alert type -> [[lower-case display name, plan], ...] in file order
my %plan_memo;    # "type\0name\0component" -> plan
my %lists;        # "scope\0user" -> {scope, user, alerts => [[start, id, plan], ...]}
                  # (alerts sorted by start time, then id)
my %held;         # systemAlertId -> number of lists that hold it
my $max_seen   = undef;
my $watermark  = undef;
my $next_sweep = undef;

# ---- small helpers ----

sub is_str { return defined $_[0] && !ref $_[0] && builtin::created_as_string($_[0]) }

sub str { return defined $_[0] && !ref $_[0] && builtin::created_as_string($_[0]) ? $_[0] : '' }

sub lower {
    (my $s = $_[0]) =~ tr/A-Z/a-z/;
    return $s;
}

# Without surrounding ' ', \t, \n, \r (decode.c), or also \v, \f (entities.c, catalog.c).
sub trim_d {
    my $s = $_[0];
    return $s unless $s =~ tr/ \t\n\r//;
    $s =~ s/\A[ \t\n\r]+//;
    $s =~ s/[ \t\n\r]+\z//;
    return $s;
}

sub trim_e {
    my $s = $_[0];
    return $s unless $s =~ tr/ \t\n\r\x0b\x0c//;
    $s =~ s/\A[ \t\n\r\x0b\x0c]+//;
    $s =~ s/[ \t\n\r\x0b\x0c]+\z//;
    return $s;
}

# Case-insensitive equality with a lower-case literal, spaces in s ignored (decode.c names()).
sub names {
    (my $s = $_[0]) =~ tr/ //d;
    $s =~ tr/A-Z/a-z/;
    return $s eq $_[1];
}

# The members of obj that the table names, by lower-case key. Where two keys fold to the same
# name, the first in sorted order wins (a hash keeps no document order).
sub scan {
    my ($obj, $table) = @_;
    my %f;
    my $twice = 0;
    for my $k (keys %$obj) {
        (my $l = $k) =~ tr/A-Z/a-z/;
        next unless $table->{$l};
        $twice = 1 if exists $f{$l};
        $f{$l} = $obj->{$k};
    }
    if ($twice) {
        %f = ();
        for my $k (sort keys %$obj) {
            (my $l = $k) =~ tr/A-Z/a-z/;
            $f{$l} = $obj->{$k} if $table->{$l} && !exists $f{$l};
        }
    }
    return \%f;
}

# ---- time: corral_time_parse (util/time.c), in 100 ns ticks since the Unix epoch ----

sub days_from_civil {
    my ($y, $m, $d) = @_;
    $y -= 1 if $m <= 2;
    my $era = int(($y >= 0 ? $y : $y - 399) / 400);
    my $yoe = $y - $era * 400;
    my $mp  = ($m + 9) % 12;
    my $doy = int((153 * $mp + 2) / 5) + $d - 1;
    my $doe = $yoe * 365 + int($yoe / 4) - int($yoe / 100) + $doy;
    return $era * 146097 + $doe - 719468;
}

sub days_in_month {
    my ($y, $m) = @_;
    return 29 if $m == 2 && $y % 4 == 0 && ($y % 100 != 0 || $y % 400 == 0);
    return (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[$m - 1];
}

sub parse_time {
    my ($y, $mo, $d, $h, $mi, $se, $frac, $sign, $oh, $om) = $_[0] =~ m{
        \A([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})
        (?:[.,]([0-9]+))? (?:[Zz]|([+-])([0-9]{2}):?([0-9]{2}))? \z}x or return undef;
    return undef if $y == 0 || $mo < 1 || $mo > 12 || $d < 1 || $d > days_in_month($y, $mo)
        || $h > 23 || $mi > 59 || $se > 60;
    my $f = defined $frac ? substr($frac . '000000', 0, 7) + 0 : 0;
    my $off = 0;    # minutes, local time minus UTC
    if (defined $sign) {
        return undef if $oh > 23 || $om > 59;
        $off = $oh * 60 + $om;
        $off = -$off if $sign eq '-';
    }
    if ($se == 60) {    # a leap second ends a UTC day only
        return undef if ($h * 60 + $mi - $off) % 1440 != 1439;
        $se = 59;
        $f  = TICKS_PER_SECOND - 1;
    }
    my $t = days_from_civil($y, $mo, $d) * DAY + (($h * 60 + $mi) * 60 + $se) * TICKS_PER_SECOND
        + $f - $off * 60 * TICKS_PER_SECOND;
    return $t < TIME_MIN || $t > TIME_MAX ? undef : $t;
}

# ---- plan: corral_catalog_classify (classify/catalog.c, plan.c) ----

sub plan_from_component {
    (my $s = $_[0]) =~ tr/ \-_.\t//d;
    return 'Unknown' if $s eq '' || length($s) > 64;
    $s =~ tr/A-Z/a-z/;
    return $COMPONENT{$s} // 'Unknown';
}

sub plan_from_prefix {
    my $type = lower($_[0]);
    for my $p (@PREFIX) {
        return $p->[1] if substr($type, 0, length $p->[0]) eq $p->[0];
    }
    return 'Unknown';
}

# Among the rows whose display name is the alert's (all when none is), the first of the
# component's plan, else of the prefix's plan, else the first.
sub pick_row {
    my ($rows, $name, $type, $comp) = @_;
    my $lname   = lower($name);
    my $by_name = grep { $_->[0] eq $lname } @$rows;
    for my $want (plan_from_component($comp), plan_from_prefix($type)) {
        next if $want eq 'Unknown';
        for my $r (@$rows) {
            next if $by_name && $r->[0] ne $lname;
            return $r->[1] if $r->[1] eq $want;
        }
    }
    for my $r (@$rows) {
        return $r->[1] if !$by_name || $r->[0] eq $lname;
    }
    return $rows->[0][1];
}

sub plan_of {
    my ($type, $name, $comp) = map { trim_e($_) } @_;
    my $memo = "$type\0$name\0$comp";
    my $plan = $plan_memo{$memo};
    return $plan if defined $plan;
    my $rows = $type ne '' ? $catalog{ lower($type) } : undef;
    if ($rows) {
        $plan = @$rows == 1 ? $rows->[0][1] : pick_row($rows, $name, $type, $comp);
    } else {
        $plan = plan_from_component($comp);
        $plan = plan_from_prefix($type) if $plan eq 'Unknown';
    }
    %plan_memo = () if keys %plan_memo > 100000;
    return $plan_memo{$memo} = $plan;
}

# The resolved table: alert_type, display_name, plan, signals, tactics (catalog.h).
sub load_catalog {
    my ($path) = @_;
    open my $fh, '<:raw', $path or die "$path: $!\n";
    my $text = do { local $/; <$fh> };
    close $fh;
    utf8::decode($text) or die "$path: not UTF-8\n";
    $text =~ s/\A\x{FEFF}//;
    my ($no, $header) = (0, 0);
    for my $line (split /\n/, $text) {
        $no++;
        $line =~ s/\r\z//;
        next if $line eq '' || substr($line, 0, 1) eq '#';
        my @f = map { s/\A +//r =~ s/ +\z//r } split /\t/, $line, -1;
        die "$path:$no: expected 5 tab-separated columns\n" if @f != 5;
        if (!$header++) {
            die "$path:$no: not the header of an alert-type table\n"
                if lower(join ' ', @f) ne 'alert_type display_name plan signals tactics';
            next;
        }
        (my $p = lower($f[2])) =~ tr/ _-//d;
        my $plan = $PLAN_NAME{$p} or die "$path:$no: unknown plan '$f[2]'\n";
        die "$path:$no: empty alert_type\n" if $f[0] eq '';
        push @{ $catalog{ lower($f[0]) } }, [lower($f[1]), $plan];
    }
    die "$path: no header\n" unless $header;
    return scalar keys %catalog;
}

# ---- $id / $ref ----

# A document: the alert object of the record, or a JSON-in-string column: {root, defs, whole}.
# walk() notes the $id of each object it visits (Json.NET defines an object where it first
# appears, before the $refs to it); a $ref to a name not seen yet has the whole document
# searched, once.
sub register_ids {
    my ($defs, $v) = @_;
    if (ref $v eq 'ARRAY') {
        register_ids($defs, $_) for @$v;
    } elsif (ref $v eq 'HASH') {
        for my $k (keys %$v) {
            my $x = $v->{$k};
            if (ref $x) {
                register_ids($defs, $x);
            } elsif (length $k == 3 && lower($k) eq '$id' && is_str($x)) {
                $defs->{$x} //= $v;
            }
        }
    }
    return;
}

# The object a {"$ref":"n"} stands for (undef when there is none), or v itself.
sub deref {
    my ($doc, $v) = @_;
    return $v unless ref $v eq 'HASH' && keys %$v == 1;
    my ($k) = keys %$v;
    return $v unless length $k == 4 && lower($k) eq '$ref' && is_str($v->{$k});
    my $def = $doc->{defs}{ $v->{$k} };
    return $def if $def || $doc->{whole}++;
    register_ids($doc->{defs}, $doc->{root});
    return $doc->{defs}{ $v->{$k} };
}

# ---- entities: the user keys of an alert (decode.c walk(), entities.c accounts) ----

sub is_zero_guid { return $_[0] =~ /\A[0{}\-]*0[0{}\-]*\z/ }

# A SID that is the same on every Windows machine (entities.c is_well_known_sid).
sub is_well_known_sid {
    my ($auth, $rest) = $_[0] =~ /\A[sS]-1-([0-9]+)(.*)\z/s or return 0;
    return 0 if length $auth > 1 && substr($auth, 0, -1) > 1e12;
    return 1 if $auth <= 3;
    return 0 if $auth != 5;
    my ($first, $tail) = $rest =~ /\A-([0-9]+)(.*)\z/s or return 0;
    return 0 if length $first > 1 && substr($first, 0, -1) > 1e12;
    return 1 if $tail eq '';
    return $first == 32 || $first == 80 || $first == 82 || $first == 90 || $first == 96;
}

sub says_service_principal {
    return names($_[0], 'serviceprincipal') || names($_[0], 'application');
}

# The user key of one account entity, or undef (not an entity, or a service principal).
sub account_user {
    my ($f) = @_;
    my $name = trim_e(str($f->{name}));
    my $nt   = trim_e(str($f->{ntdomain}));
    my $dns  = trim_e(str($f->{dnsdomain}));
    my $upn  = trim_e(str($f->{upnsuffix}));
    my $sid  = trim_e(str($f->{sid}));
    my $aad  = trim_e(str($f->{aaduserid}));
    my $oid  = trim_e(str($f->{objectguid}));
    $aad = '' if is_zero_guid($aad);
    $oid = '' if is_zero_guid($oid);
    my $bs = index $name, '\\';
    if ($bs >= 0) {
        my $dom = trim_e(substr $name, 0, $bs);
        $nt   = $dom if $nt eq '';
        $name = trim_e(substr $name, $bs + 1);
    }
    my $at = rindex $name, '@';
    if ($at >= 0) {
        my $suffix = trim_e(substr $name, $at + 1);
        $upn  = $suffix if $upn eq '';
        $name = trim_e(substr $name, 0, $at);
    }
    $nt  = '' if $LOCAL_DOMAIN{ lower($nt) };
    $sid = '' if is_well_known_sid($sid);

    my $has_domain = $nt ne '' || $dns ne '' || $upn ne '';
    my $has_id     = $aad ne '' || $oid ne '';
    return undef if !$has_domain && $BUILTIN_NAME{ lower($name) };
    return undef if !$has_domain && !$has_id && $sid eq '';
    my $key = $aad ne ''                     ? $aad
            : $oid ne ''                     ? $oid
            : $name ne '' && $upn ne ''      ? "$name\@$upn"
            : $name ne '' && $nt ne ''       ? "$nt\\$name"
            : $sid ne ''                     ? $sid
            :                                  return undef;
    return undef if says_service_principal(str($f->{objecttype}))
        || says_service_principal(str($f->{accounttype}))
        || says_service_principal(str($f->{identitytype}))
        || ($has_id && $upn eq '' && $nt eq '' && $dns eq '' && $sid eq '');
    return lower($key);
}

# Walk v and everything nested in it (following $refs), each object once; an object met again
# while it is on the path is a cycle. Fills $a->{users}.
sub walk {
    my ($a, $doc, $v, $depth) = @_;
    die "entities nest deeper than the limit of ${\ MAX_DEPTH} levels\n" if $depth > MAX_DEPTH;
    if (ref $v eq 'ARRAY') {
        walk($a, $doc, $_, $depth + 1) for @$v;
        return;
    }
    return unless ref $v eq 'HASH';
    if (keys %$v == 1) {
        $v = deref($doc, $v) // return;
    }
    my $addr = 0 + $v;
    my $mark = $a->{mark}{$addr};
    return if $mark && $mark == DONE;
    die "cycle of nested entities\n" if $mark;
    $a->{mark}{$addr} = PATH;
    my ($type, @nested);
    my $twice = 0;
    for my $k (keys %$v) {
        my $x = $v->{$k};
        if (ref $x) {
            push @nested, $x if ref $x eq 'HASH' || ref $x eq 'ARRAY';
        } elsif (length $k == 4) {
            next unless $k eq 'Type' || $k eq 'type' || lower($k) eq 'type';
            $twice = 1 if defined $type;
            $type = $x;
        } elsif (length $k == 3 && ($k eq '$id' || lower($k) eq '$id') && defined $x
                 && builtin::created_as_string($x)) {
            $doc->{defs}{$x} //= $v;
        }
    }
    $type = scan($v, \%ENTITY_KEY)->{type} if $twice;
    $type = '' unless defined $type && builtin::created_as_string($type);
    if ($type ne '') {
        die "more than ${\ MAX_ENTITIES} entities\n" if ++$a->{objects} > MAX_ENTITIES;
        if (length $type == 7 && lower($type) eq 'account') {
            my $user = account_user(scan($v, \%ENTITY_KEY));
            $a->{users}{$user} = 1 if defined $user;
        }
    }
    walk($a, $doc, $_, $depth + 1) for @nested;
    $a->{mark}{$addr} = DONE;
    return;
}

# ---- scope ----

# The subscription id of a resource id "/subscriptions/{id}/...", or ''.
sub subscription {
    my $id = trim_e($_[0]);
    return '' unless length $id > 15 && lower(substr $id, 0, 15) eq '/subscriptions/';
    my ($sub) = substr($id, 15) =~ m{\A([^/]*)};
    return '' if $sub eq '' || $sub =~ /[\x00-\x1f\x7f]/;
    return trim_d($sub);
}

# The first non-empty of: tenantId; the AzureResource identifier's AzureResourceTenantId; the AAD
# identifier's AadTenantId; the subscription of AzureResourceId, of an AzureResource identifier's
# azureResourceId, of a workspace (identifiers first), of ResourceId, of the envelope's id.
sub scope_of {
    my ($doc, $f) = @_;
    my $s = trim_d(str($f->{tenantid}));
    return lower($s) if $s ne '';
    my ($aad_tenant, @rids, @ws) = ('');
    my $list = $f->{resourceidentifiers};
    if (ref $list eq 'ARRAY') {
        for my $x (@$list) {
            my $item = deref($doc, $x);
            next unless ref $item eq 'HASH';
            my $r    = scan($item, \%IDENT_KEY);
            my $type = str($r->{type});
            my $rid  = str($r->{azureresourceid});
            if ($rid ne '' && ($type eq '' || names($type, 'azureresource'))) {
                $s = trim_d(str($r->{azureresourcetenantid}));
                return lower($s) if $s ne '';
                push @rids, $rid;
            }
            $aad_tenant = trim_d(str($r->{aadtenantid}))
                if $aad_tenant eq '' && names($type, 'aad');
            push @ws, $r->{workspacesubscriptionid};
            push @ws, $r->{subscriptionid} if names($type, 'loganalytics');
        }
    }
    return lower($aad_tenant) if $aad_tenant ne '';
    for my $sub (subscription(str($f->{azureresourceid})), map { subscription($_) } @rids) {
        return lower($sub) if $sub ne '';
    }
    for my $ws (@ws, $f->{workspacesubscriptionid}) {
        $s = trim_d(str($ws));
        return lower($s) if $s ne '';
    }
    for my $sub (subscription(str($f->{resourceid})), subscription(str($f->{id}))) {
        return lower($sub) if $sub ne '';
    }
    return '';
}

# ---- one alert ----

# A JSON-in-string column parsed again; undef when it is empty; dies when it is not JSON.
sub column {
    my ($f, $key) = @_;
    my $text = trim_d($f->{$key});
    return undef if $text eq '';
    my $doc = eval { $json_column->decode($text) };
    die "$key is a string but not valid JSON\n" if $@;
    return { root => $doc, defs => {}, whole => 0 };
}

# Decode the alert object obj (fields f): [start, id, scope, plan, [users]], or dies.
sub alert {
    my ($obj, $f) = @_;
    die "systemAlertId is not a string\n"
        if defined $f->{systemalertid} && !is_str($f->{systemalertid});
    my $id = trim_d(str($f->{systemalertid}));
    die "missing systemAlertId\n" if $id eq '';
    my $sv = defined $f->{starttimeutc} ? $f->{starttimeutc} : $f->{starttime};
    die "missing startTimeUtc\n" unless defined $sv;
    die "startTimeUtc is not a string\n" unless is_str($sv);
    my $start = parse_time($sv) // die "startTimeUtc is not a valid ISO 8601 time\n";

    my $record = { root => $obj, defs => {}, whole => 0 };
    column($f, 'extendedproperties') if is_str($f->{extendedproperties});
    my $a  = { users => {}, mark => {}, objects => 0 };
    my $ev = $f->{entities};
    if (is_str($ev)) {
        my $doc = column($f, 'entities');
        walk($a, $doc, $doc->{root}, 0) if $doc;
    } elsif (exists $f->{entities}) {
        walk($a, $record, $ev, 0);
    }
    my $scope = scope_of($record, $f);

    my $name = '';
    for my $k (qw(alertdisplayname displayname alertname)) {
        my $s = str($f->{$k});
        if (trim_d($s) ne '') {
            $name = $s;
            last;
        }
    }
    my $plan = plan_of(trim_d(str($f->{alerttype})), trim_d($name),
                       trim_d(str($f->{productcomponentname})));
    return [$start, $id, $scope, $plan, [sort keys %{ $a->{users} }]];
}

# The alerts in a decoded value: a list, a REST list, a Swagger example, an envelope, an alert.
sub alerts_in {
    my ($v, $out) = @_;
    if (ref $v eq 'ARRAY') {
        alerts_in($_, $out) for @$v;
        return;
    }
    return unless ref $v eq 'HASH';
    my $f = scan($v, \%ALERT_KEY);
    return if exists $f->{'$schema'};
    if (is_str($f->{systemalertid}) || is_str($f->{alerttype})) {
        push @$out, $f, $v;
        return;
    }
    if (ref $f->{value} eq 'ARRAY') {
        alerts_in($_, $out) for @{ $f->{value} };
        return;
    }
    if (ref $f->{responses} eq 'HASH') {
        my $ok   = scan($f->{responses}, { 200 => 1 })->{200};
        my $body = ref $ok eq 'HASH' ? scan($ok, { body => 1 }) : {};
        if (exists $body->{body}) {
            alerts_in($body->{body}, $out);
            return;
        }
    }
    if (ref $f->{properties} eq 'HASH') {
        my $p = scan($f->{properties}, \%ALERT_KEY);
        if (is_str($p->{systemalertid}) || is_str($p->{alerttype})) {
            # A REST envelope: its fields are in properties; its own id is only the envelope's.
            my %m = (%$f, %$p);
            delete $m{id};
            $m{id} = $f->{id} if exists $f->{id};
            push @$out, \%m, $v;
        }
    }
    return;
}

# ---- sessions ----

sub encode_field {
    my ($s) = @_;
    return '-' if $s eq '';
    $s =~ s/([\s\x00-\x20\x7f,%\$\\])/sprintf('\\x{%x}', ord $1)/ge;
    utf8::encode($s);
    return $s;
}

# Close the sessions at the front of one list that no alert still to come can join; the groups
# among them go to @$out.
sub close_final {
    my ($key, $out) = @_;
    my $list = $lists{$key}{alerts};
    while (@$list) {
        my $first = $list->[0][0];
        my $j     = 1;
        while ($j < @$list && $list->[$j][0] - $list->[$j - 1][0] <= $WINDOW
               && ($MAX_SPAN <= 0 || $list->[$j][0] - $first < $MAX_SPAN)) {
            $j++;
        }
        last unless $list->[$j - 1][0] + $WINDOW < $watermark
            || ($MAX_SPAN > 0 && $first + $MAX_SPAN <= $watermark);
        my @session = splice @$list, 0, $j;
        if (@session >= 2) {
            my %plans;
            $plans{ $_->[2] } = 1 for @session;
            delete $plans{Unknown};
            if (keys %plans >= 2) {
                push @$out, join ' ', encode_field($lists{$key}{scope}),
                    encode_field($lists{$key}{user}),
                    join(',', map { encode_field($_->[1]) } @session);
            }
        }
        for my $x (@session) {
            delete $held{ $x->[1] } if --$held{ $x->[1] } == 0;
        }
    }
    delete $lists{$key} unless @$list;
    return;
}

# Put one decoded alert into the sessions of its users (engine.c corral_engine_add).
sub add {
    my ($start, $id, $scope, $plan, $users, $out) = @_;
    return if exists $held{$id};                            # a duplicate
    return if defined $watermark && $start < $watermark;    # too late
    for my $user (@$users) {
        my $list = ($lists{"$scope\0$user"} //= { scope => $scope, user => $user, alerts => [] })
            ->{alerts};
        my $i    = @$list;
        $i-- while $i > 0 && ($list->[$i - 1][0] > $start
            || ($list->[$i - 1][0] == $start && $list->[$i - 1][1] gt $id));
        splice @$list, $i, 0, [$start, $id, $plan];
        $held{$id}++;
    }
    if (!defined $max_seen || $start > $max_seen) {
        $max_seen  = $start;
        $watermark = $max_seen - $LATENESS;
        $next_sweep //= $watermark + $WINDOW;
    }
    if ($watermark >= $next_sweep) {    # once a day of event time: close what is final
        close_final($_, $out) for keys %lists;
        $next_sweep = $watermark + $WINDOW;
    }
    return;
}

# ---- the interface for the SEC rules ----

# Load the alert-type table: CORRAL_CATALOG, else alert-types.tsv in CORRAL_DATA_DIR or data/.
sub init {
    my ($path) = @_;
    $path //= $ENV{CORRAL_CATALOG} // (($ENV{CORRAL_DATA_DIR} // 'data') . '/alert-types.tsv');
    %PLAN_NAME = map { lower($_) => $_ } @PLANS;
    if (defined $ENV{CORRAL_SEC_MAX_SPAN} && $ENV{CORRAL_SEC_MAX_SPAN} ne '') {
        $MAX_SPAN = int($ENV{CORRAL_SEC_MAX_SPAN} * DAY);
    }
    $INPUT = $ENV{CORRAL_SEC_INPUT} if $ENV{CORRAL_SEC_INPUT};
    die "CORRAL_SEC_INPUT: '$INPUT' is neither ndjson nor projected\n"
        unless $INPUT eq 'ndjson' || $INPUT eq 'projected';
    return load_catalog($path);
}

# One input line (NDJSON): the groups it closed, joined by newlines, or 0. Synthetic events
# (no input file: $file undefined) are not alerts.
sub line {
    my ($text, $file) = @_;
    return projected($text, $file) if $INPUT eq 'projected';
    return 0 unless defined $file && $text =~ /[^ \t\r]/;
    my $v = eval { $json_line->decode($text) };
    return 0 if !defined $v && $@;    # not JSON: the record is rejected
    my @found;
    alerts_in($v, \@found);
    my @out;
    while (@found) {
        my ($f, $obj) = splice @found, 0, 2;
        my $a = eval { alert($obj, $f) } or next;    # a rejected alert
        add(@$a, \@out);
    }
    return @out ? join("\n", @out) : 0;
}

# One line of project: "EPOCH SCOPE PLAN ID USER,USER..." (fields encoded as encode_field()).
sub projected {
    my ($text, $file) = @_;
    return 0 unless defined $file && utf8::decode($text);
    my ($s, $frac, $scope, $plan, $id, $users) =
        $text =~ /\A([0-9]+)\.([0-9]{7}) (\S+) (\S+) (\S+) (\S+)\z/ or return 0;
    my @users = map { decode_field($_) } split /,/, $users;
    my @out;
    add($s * TICKS_PER_SECOND + $frac, decode_field($id), decode_field($scope),
        decode_field($plan), \@users, \@out);
    return @out ? join("\n", @out) : 0;
}

sub decode_field {
    my ($s) = @_;
    return '' if $s eq '-';
    return $s if index($s, '\\') < 0;
    $s =~ s/\\x\{([0-9a-f]+)\}/chr hex $1/ge;
    return $s;
}

# End of input: every session closes. The groups, one a line, or undef when there are none.
sub finish {
    my @out;
    $watermark = TIME_MAX + $MAX_SPAN + $WINDOW + 1;
    close_final($_, \@out) for sort keys %lists;
    return @out ? join("\n", @out) : undef;
}

1;
