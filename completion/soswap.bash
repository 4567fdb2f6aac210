# soswap(1) completion for bash.                             -*- shell-script -*-
#
# Completes the global options, the subcommands, each subcommand's options
# and their arguments: files, directories, pids of running processes, the
# libraries a given pid maps (soswap live --pid PID <TAB>), sonames.
# Each subcommand's options are read from its own `soswap CMD --help`, so
# the completion follows the binary that is installed; the list below is
# the fallback when that binary cannot be run.

_soswap_commands="info deps diff links install rollback who stale live upgrade"

declare -gA _soswap_fallback_opts=(
	[info]="--json --symbols --help"
	[deps]="--json --flat --why --dlopen --env --root --secure --no-preload-file --help"
	[diff]="--json --no-dwarf --debug-dir --help"
	[links]="--dry-run --json --help"
	[install]="--dir --version --link-name --force --dry-run --json --help"
	[rollback]="--dir --json --help"
	[who]="--json --help"
	[stale]="--json --ctime --lib --dir --help"
	[live]="--pid --json --dry-run --timeout --no-entry-jumps --rollback --help"
	[upgrade]="--dir --version --link-name --force --live --report-only --lib --dry-run --timeout --rollback --stale --json --help"
)
declare -gA _soswap_opts_cache=()

# _soswap_opts SOSWAP CMD: the long options CMD's --help lists.
_soswap_opts()
{
	local cmd=$2 opts
	if [[ -z ${_soswap_opts_cache[$cmd]+set} ]]; then
		opts=$("$1" "$cmd" --help 2>/dev/null |
			grep -oE -- '(^|[ ,[])--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z0-9-]+' |
			sort -u | tr '\n' ' ')
		[[ $opts == *--* ]] || opts=${_soswap_fallback_opts[$cmd]}
		_soswap_opts_cache[$cmd]=$opts
	fi
	printf '%s' "${_soswap_opts_cache[$cmd]}"
}

_soswap_pids()
{
	local p
	for p in /proc/[0-9]*; do printf '%s\n' "${p#/proc/}"; done
}

# Libraries mapped by a pid, by path and by file name.
_soswap_mapped_libs()
{
	[[ -r /proc/$1/maps ]] || return
	awk '$6 ~ /\.so/ { print $6; n = split($6, a, "/"); print a[n] }' \
		"/proc/$1/maps" 2>/dev/null | sort -u
}

# Sonames of the libraries in DIR (default: where soswap install puts them
# and the system directories), from file names lib*.so.N.
_soswap_sonames()
{
	local d f dirs=("$@")
	((${#dirs[@]})) || dirs=(/usr/local/lib /usr/lib/x86_64-linux-gnu)
	for d in "${dirs[@]}"; do
		for f in "$d"/lib*.so.[0-9]*; do
			[[ -e $f ]] || continue
			f=${f##*/}
			[[ $f =~ ^(lib.*\.so\.[0-9]+) ]] && printf '%s\n' "${BASH_REMATCH[1]}"
		done
	done | sort -u
}

# The value of --dir/-d on the command line being completed, if any.
_soswap_dir_opt()
{
	local i
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--dir|-d) printf '%s\n' "${COMP_WORDS[i + 1]}"; return ;;
		--dir=*) printf '%s\n' "${COMP_WORDS[i]#--dir=}"; return ;;
		esac
	done
}

_soswap_files()
{
	compopt -o filenames 2>/dev/null
	COMPREPLY=($(compgen -f -- "$1"))
}

_soswap_dirs()
{
	compopt -o filenames 2>/dev/null
	COMPREPLY=($(compgen -d -- "$1"))
}

_soswap()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=""
	local soswap=${COMP_WORDS[0]} cmd="" cmd_at=0 i w
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()

	# --color=WHEN: bash splits the word at '='.
	if [[ $cur == = ]] && [[ $prev == --color ]]; then cur=""; prev="--color="; fi
	if [[ $prev == = ]] && ((COMP_CWORD > 1)) &&
	   [[ ${COMP_WORDS[COMP_CWORD - 2]} == --color ]]; then prev="--color="; fi
	if [[ $prev == --color= ]]; then
		COMPREPLY=($(compgen -W "auto always never" -- "$cur"))
		return
	fi

	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ " $_soswap_commands " == *" $w "* ]]; then
			cmd=$w
			cmd_at=$i
			break
		fi
	done

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			compopt -o nospace 2>/dev/null
			COMPREPLY=($(compgen -W "-q -v --quiet --verbose --color= --no-color --help --version" -- "$cur"))
			[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} != *= ]] && compopt +o nospace 2>/dev/null
		else
			COMPREPLY=($(compgen -W "$_soswap_commands" -- "$cur"))
		fi
		return
	fi

	# Arguments of options.
	case $prev in
	--pid|-p)
		COMPREPLY=($(compgen -W "$(_soswap_pids)" -- "$cur"))
		return ;;
	--dir|-d|--root|--debug-dir)
		_soswap_dirs "$cur"
		return ;;
	--lib)
		_soswap_files "$cur"
		return ;;
	--timeout|-t|--version|-V|--why|--env)
		return ;;
	--rollback)
		if [[ $cmd == upgrade ]]; then
			COMPREPLY=($(compgen -W "$(_soswap_sonames $(_soswap_dir_opt))" -- "$cur"))
			return
		fi ;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_soswap_opts "$soswap" "$cmd")" -- "$cur"))
		return
	fi

	case $cmd in
	links)
		_soswap_dirs "$cur" ;;
	rollback)
		COMPREPLY=($(compgen -W "$(_soswap_sonames $(_soswap_dir_opt))" -- "$cur")) ;;
	stale)
		_soswap_files "$cur" ;;
	live)
		# OLD is a library the target maps; NEW a file.
		local pid="" npos=0
		for ((i = cmd_at + 1; i < COMP_CWORD; i++)); do
			w=${COMP_WORDS[i]}
			case $w in
			--pid|-p) pid=${COMP_WORDS[i + 1]}; i=$((i + 1)) ;;
			--pid=*) pid=${w#--pid=} ;;
			--timeout|-t) i=$((i + 1)) ;;
			-*) ;;
			*) npos=$((npos + 1)) ;;
			esac
		done
		if ((npos == 0)) && [[ $pid =~ ^[0-9]+$ ]]; then
			COMPREPLY=($(compgen -W "$(_soswap_mapped_libs "$pid")" -- "$cur"))
			[[ ${#COMPREPLY[@]} -gt 0 ]] || _soswap_files "$cur"
		else
			_soswap_files "$cur"
		fi ;;
	*)
		_soswap_files "$cur" ;;
	esac
}

complete -F _soswap soswap
