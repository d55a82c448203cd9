# SPDX-License-Identifier: GPL-2.0-only
# bash completion for tunlane(8), tunlaned(8) and tunshare(8).

# Interfaces that are up (they have a UAPI socket) and those with a
# configuration in /etc/tunlane (readable by root only; silent otherwise).
: "${_TUNLANE_SOCKDIR:=/var/run/wireguard}" "${_TUNLANE_CONFDIR:=/etc/tunlane}"
_tunlane_ifaces_up() {
	local f
	for f in "$_TUNLANE_SOCKDIR"/*.sock; do
		[[ -e $f ]] || continue
		f=${f##*/}
		printf '%s\n' "${f%.sock}"
	done
}
_tunlane_ifaces_conf() {
	local f
	for f in "$_TUNLANE_CONFDIR"/*.conf; do
		[[ -e $f ]] || continue
		f=${f##*/}
		printf '%s\n' "${f%.conf}"
	done 2>/dev/null
}
# Adds file names ending in .conf (and directories) to COMPREPLY.
_tunlane_conf_files() {
	local IFS=$'\n'
	COMPREPLY+=($(compgen -f -X '!*.conf' -- "$1") $(compgen -d -S / -- "$1"))
}

_tunlane() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local cmds="up down reload show strip metrics genkey genpsk pubkey help"
	COMPREPLY=()
	if ((COMP_CWORD == 1)); then
		COMPREPLY=($(compgen -W "$cmds --help --version" -- "$cur"))
		return
	fi
	case ${COMP_WORDS[1]} in
	up)
		((COMP_CWORD == 2)) || return
		[[ $cur = -* ]] && { COMPREPLY=($(compgen -W "--help" -- "$cur")); return; }
		COMPREPLY=($(compgen -W "$(_tunlane_ifaces_conf)" -- "$cur"))
		_tunlane_conf_files "$cur"
		;;
	strip | reload)
		((COMP_CWORD == 2)) || return
		[[ $cur = -* ]] && { COMPREPLY=($(compgen -W "--help" -- "$cur")); return; }
		COMPREPLY=($(compgen -W "$(_tunlane_ifaces_conf)" -- "$cur"))
		_tunlane_conf_files "$cur"
		;;
	down)
		((COMP_CWORD == 2)) || return
		[[ $cur = -* ]] && { COMPREPLY=($(compgen -W "--help" -- "$cur")); return; }
		COMPREPLY=($(compgen -W "$(_tunlane_ifaces_up)" -- "$cur"))
		;;
	show)
		[[ $cur = -* ]] && { COMPREPLY=($(compgen -W "--json --prometheus --help" -- "$cur")); return; }
		COMPREPLY=($(compgen -W "$(_tunlane_ifaces_up) all interfaces" -- "$cur"))
		;;
	metrics)
		[[ $prev = --listen ]] && { COMPREPLY=($(compgen -W "127.0.0.1:9586 [::1]:9586" -- "$cur")); return; }
		COMPREPLY=($(compgen -W "--listen --help" -- "$cur"))
		;;
	help)
		((COMP_CWORD == 2)) && COMPREPLY=($(compgen -W "${cmds% help}" -- "$cur"))
		;;
	genkey | genpsk | pubkey)
		COMPREPLY=($(compgen -W "--help" -- "$cur"))
		;;
	esac
}

_tunlaned() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()
	case $prev in
	--user) COMPREPLY=($(compgen -u -- "$cur")); return ;;
	--lanes | --cpus | --ready-fd) return ;;
	esac
	COMPREPLY=($(compgen -W "--foreground --lanes --cpus --user --no-offload --help --version $(_tunlane_ifaces_conf)" -- "$cur"))
}

_tunshare() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} i
	COMPREPLY=()
	if ((COMP_CWORD == 1)); then
		COMPREPLY=($(compgen -W "run show help --help --version" -- "$cur"))
		return
	fi
	# After "--" comes the program and its own arguments.
	for ((i = 2; i < COMP_CWORD; i++)); do
		if [[ ${COMP_WORDS[i]} = -- ]]; then
			COMPREPLY=($(compgen -c -- "$cur"))
			((i + 1 < COMP_CWORD)) && COMPREPLY=($(compgen -f -- "$cur"))
			return
		fi
	done
	case $prev in
	--dev) COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur")); return ;;
	--user) COMPREPLY=($(compgen -u -- "$cur")); return ;;
	--preload) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--lanes | --cpus | --base-port | --address | --route | --mtu) return ;;
	esac
	case ${COMP_WORDS[1]} in
	run) COMPREPLY=($(compgen -W "--dev --lanes --cpus --base-port --address --route --mtu --user --preload --help --" -- "$cur")) ;;
	show) COMPREPLY=($(compgen -W "--dev --help" -- "$cur")) ;;
	help) ((COMP_CWORD == 2)) && COMPREPLY=($(compgen -W "run show" -- "$cur")) ;;
	esac
}

complete -F _tunlane tunlane
complete -F _tunlaned tunlaned
complete -F _tunshare tunshare
